import PLDCore
/// Per-joint zero offsets from the calibration (`arms[].joint_offsets_rad`): the true
/// (calibrated) joint angle is the driver's reading plus the offset,
/// `q_calibrated = q_driver + offset`, and commands go back with `q_driver = q_calibrated − offset`.
///
/// A value type with inline storage: the control thread converts every tick without allocating.
/// Joints beyond `count` pass through unchanged.
public struct JointOffsets: Sendable, Equatable {
    public let count: Int
    public let radians: InlineArray<8, Double>

    /// Zero offsets (an uncalibrated arm).
    public init(zeroFor count: Int) {
        self.count = count
        radians = InlineArray(repeating: 0)
    }

    /// At most 8 offsets, rad.
    public init(_ offsets: [Double]) {
        precondition(offsets.count <= 8, "JointOffsets: at most 8 joints")
        var values = InlineArray<8, Double>(repeating: 0)
        for (i, value) in offsets.enumerated() { values[i] = value }
        count = offsets.count
        radians = values
    }

    /// Driver joint space → calibrated joint space.
    @inline(__always)
    public func calibrated<let N: Int>(fromDriver q: InlineArray<N, Double>) -> InlineArray<N, Double> {
        var out = q
        for i in 0..<min(N, count) { out[i] = q[i] + radians[i] }
        return out
    }

    /// Calibrated joint space → driver joint space (for commands).
    @inline(__always)
    public func driver<let N: Int>(fromCalibrated q: InlineArray<N, Double>) -> InlineArray<N, Double> {
        var out = q
        for i in 0..<min(N, count) { out[i] = q[i] - radians[i] }
        return out
    }

    /// The state with `q` in calibrated joint space (velocities and torques are unaffected).
    public func calibrated(_ state: ArmState) -> ArmState {
        var out = state
        out.q = calibrated(fromDriver: state.q)
        return out
    }

    public static func == (a: JointOffsets, b: JointOffsets) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<8 where a.radians[i] != b.radians[i] { return false }
        return true
    }
}
