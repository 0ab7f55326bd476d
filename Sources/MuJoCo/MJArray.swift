/// A window onto one of `mjData`'s numeric arrays (`qpos`, `qvel`, `ctrl`, `act`,
/// `qfrc_applied`, `qfrc_bias`): reads and writes go straight to MuJoCo's memory.
///
/// Obtained from ``MJData`` (`data.qpos[3] = 0.1`, `data.ctrl.assign(torques)`); it keeps its
/// `MJData` alive and, like it, belongs to the thread that owns that `MJData`. Element access,
/// iteration, ``copy(into:)`` and ``assign(_:)`` do not allocate. Indices are checked.
public struct MJArray: RandomAccessCollection, MutableCollection {
    /// Keeps the owning `MJData` (and so the memory behind `base`) alive.
    private let owner: AnyObject
    private let base: UnsafeMutablePointer<Double>
    /// Number of elements (e.g. `nq` for `qpos`).
    public let count: Int

    init(owner: AnyObject, base: UnsafeMutablePointer<Double>?, count: Int) {
        self.owner = owner
        // mjData leaves zero-length arrays as NULL; point those at a dummy that is never read.
        self.base = base ?? MJArray.emptyStorage
        self.count = count
    }

    private nonisolated(unsafe) static let emptyStorage = UnsafeMutablePointer<Double>.allocate(capacity: 1)

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(index: Int) -> Double {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            return base[index]
        }
        nonmutating set {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            base[index] = newValue
        }
    }

    /// Copies every element into `destination`, which must already hold exactly `count`
    /// elements (no allocation when `destination` is uniquely referenced).
    public func copy(into destination: inout [Double]) {
        precondition(destination.count == count, "destination has \(destination.count) elements, expected \(count)")
        destination.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: base, count: count) }
    }

    /// Overwrites every element from `values`, which must hold exactly `count` elements.
    public func assign(_ values: some Collection<Double>) {
        precondition(values.count == count, "got \(values.count) values, expected \(count)")
        var i = 0
        for value in values {
            base[i] = value
            i += 1
        }
    }

    /// Sets every element to `value` (e.g. zero the controls).
    public func fill(_ value: Double) { base.update(repeating: value, count: count) }

    /// A fresh array with the current values. Allocates: not for a control loop.
    public var values: [Double] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// True when every element is finite (no NaN or infinity).
    public var allFinite: Bool {
        for i in 0..<count where !base[i].isFinite { return false }
        return true
    }
}

@available(*, unavailable, message: "an MJArray belongs to the thread that owns its MJData")
extension MJArray: Sendable {}
