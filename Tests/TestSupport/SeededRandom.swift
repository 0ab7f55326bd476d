/// SplitMix64: a small, seeded generator so fuzz failures reproduce.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Random bytes, or a mutation of `seedInput` (flip, truncate, insert, overwrite a length).
    public mutating func fuzzInput(from seedInput: [UInt8], maxLength: Int = 512) -> [UInt8] {
        switch Int.random(in: 0..<4, using: &self) {
        case 0:
            return (0..<Int.random(in: 0...maxLength, using: &self)).map { _ in UInt8.random(in: 0...255, using: &self) }
        case 1:
            return Array(seedInput.prefix(Int.random(in: 0...seedInput.count, using: &self)))
        case 2:
            var bytes = seedInput
            for _ in 0..<Int.random(in: 1...8, using: &self) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &self)] ^= UInt8.random(in: 1...255, using: &self)
            }
            return bytes
        default:
            var bytes = seedInput
            let at = Int.random(in: 0...bytes.count, using: &self)
            bytes.insert(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F].prefix(Int.random(in: 1...5, using: &self)), at: at)
            return bytes
        }
    }
}
