/// The most action dimensions one robot may have (bimanual YAM: 14; room for 3-arm rigs).
public let actionMaxDimensions = 32

/// One action vector — normalised policy space or physical commands, as the name of the value
/// that holds it says — in inline storage, so the control thread copies it without allocating.
/// Elements at and beyond `count` are zero.
public struct ActionVector: Sendable {
    public var count: Int
    public var values = InlineArray<32, Double>(repeating: 0)

    public init(count: Int) {
        precondition((0...actionMaxDimensions).contains(count), "action dimension \(count) outside 0...\(actionMaxDimensions)")
        self.count = count
    }

    public init(_ array: [Double]) {
        self.init(count: array.count)
        for i in array.indices { values[i] = array[i] }
    }

    public subscript(index: Int) -> Double {
        get { values[index] }
        set { values[index] = newValue }
    }

    /// Every element finite.
    public var isFinite: Bool {
        for i in 0..<count where !values[i].isFinite { return false }
        return true
    }

    /// For tests, logs and recording (allocates).
    public var array: [Double] { (0..<count).map { values[$0] } }

    public static let empty = ActionVector(count: 0)
}
