import Wire

/// Hex of `bytes`, lowercase, no separators ("81a5...").
func msgpackHex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var out = ""
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0f)])
    }
    return out
}

/// Bytes of a hex string; whitespace is ignored so a reference dump can be pasted as is.
func msgpackBytes(hex: String) -> [UInt8] {
    let nibbles = hex.compactMap { $0.hexDigitValue }
    precondition(nibbles.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: nibbles.count, by: 2).map { UInt8(nibbles[$0] << 4 | nibbles[$0 + 1]) }
}

/// The error decoding `bytes` throws, or nil if it decodes.
func msgpackDecodeError(_ bytes: [UInt8], limits: MessagePackLimits = .default) -> MessagePackError? {
    do {
        _ = try MessagePackDecoder.decode(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// A small deterministic generator (MessagePackFuzzRNG) so fuzz failures reproduce.
struct MessagePackFuzzRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// 64-bit FNV-1a, the content checksum shared with the python peer.
func openPIFNV1a64(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h &*= 0x0000_0100_0000_01b3
    }
    return h
}
