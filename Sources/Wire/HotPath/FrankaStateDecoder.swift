import CWireCodec

/// Decodes deoxys `FrankaRobotStateMessage` and `FrankaGripperStateMessage` bytes into
/// `FrankaStateSample` / `FrankaGripperSample` without heap allocation (protobuf-c into a
/// preallocated arena).
///
/// Contract: one decoder per thread (not Sendable); construct it off the control thread. A
/// message that is malformed, larger than `maxMessageBytes`, missing q/dq/τ/O_T_EE, or carrying
/// NaN/Inf in them is refused with a `WireDecodeError`; the caller keeps its previous sample,
/// so no command is ever derived from a refused state.
public final class FrankaStateDecoder {
    /// A full robot state is about 2.4 kB on the wire; 64 kB leaves room for unknown fields.
    public static let defaultMaxMessageBytes = 64 * 1024
    public let maxMessageBytes: Int
    private let arena: DecodeArena

    public init(maxMessageBytes: Int = FrankaStateDecoder.defaultMaxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
        // Decoded form ≈ 1.2× the wire size plus per-field headers; twice the wire limit is ample.
        arena = DecodeArena(capacity: 2 * maxMessageBytes + 4096)
    }

    /// Decodes a robot state. Allocation-free.
    public func decodeRobotState(_ bytes: UnsafeRawBufferPointer) throws(WireDecodeError) -> FrankaStateSample {
        let m = try arena.unpack(bytes, as: .frankaRobotState, maxBytes: maxMessageBytes, franka_robot_state_message__unpack)
        var s = FrankaStateSample()
        try copyChecked(m.q, count: m.n_q, into: &s.q, field: .frankaQ)
        try copyChecked(m.dq, count: m.n_dq, into: &s.dq, field: .frankaDq)
        try copyChecked(m.tau_j, count: m.n_tau_j, into: &s.tauJ, field: .frankaTauJ)
        try copyChecked(m.o_t_ee, count: m.n_o_t_ee, into: &s.oTEE, field: .frankaOTEE)
        try copyOptional(m.q_d, count: m.n_q_d, into: &s.qDesired, field: .frankaQd)
        try copyOptional(m.tau_ext_hat_filtered, count: m.n_tau_ext_hat_filtered, into: &s.tauExternal, field: .frankaTauExt)
        try copyOptional(m.o_t_ee_d, count: m.n_o_t_ee_d, into: &s.oTEEDesired, field: .frankaOTEEd)
        try copyOptional(m.o_f_ext_hat_k, count: m.n_o_f_ext_hat_k, into: &s.externalWrench, field: .frankaOFExt)
        guard m.control_command_success_rate.isFinite else { throw .nonFinite(field: .frankaSuccessRate) }
        s.controlCommandSuccessRate = m.control_command_success_rate
        s.robotMode = Int32(bitPattern: m.robot_mode.rawValue)
        s.currentErrors = Self.errorBits(m.current_errors)
        s.lastMotionErrors = Self.errorBits(m.last_motion_errors)
        s.timeMilliseconds = m.time?.pointee.tomsec ?? 0
        s.frame = m.frame
        return s
    }

    /// Decodes a gripper state. Allocation-free.
    public func decodeGripperState(_ bytes: UnsafeRawBufferPointer) throws(WireDecodeError) -> FrankaGripperSample {
        let m = try arena.unpack(bytes, as: .frankaGripperState, maxBytes: maxMessageBytes, franka_gripper_state_message__unpack)
        guard m.width.isFinite else { throw .nonFinite(field: .gripperWidth) }
        guard m.max_width.isFinite else { throw .nonFinite(field: .gripperMaxWidth) }
        var s = FrankaGripperSample()
        s.widthMeters = m.width
        s.maxWidthMeters = m.max_width
        s.isGrasped = m.is_grasped != 0
        s.temperature = m.temperature
        s.timeMilliseconds = m.time?.pointee.tomsec ?? 0
        return s
    }

    /// Most arena bytes one decode has used so far.
    public var arenaHighWaterBytes: Int { arena.highWaterBytes }

    /// Packs the 37 `Errors` flags (field i+1 → bit i). They are consecutive
    /// `protobuf_c_boolean`s in the generated struct, which `errorFlagLayoutIsContiguous` checks.
    private static func errorBits(_ errors: UnsafeMutablePointer<FrankaRobotStateMessage__Errors>?) -> UInt64 {
        guard let errors else { return 0 }
        let first = MemoryLayout<FrankaRobotStateMessage__Errors>.offset(
            of: \FrankaRobotStateMessage__Errors.joint_position_limits_violation)!
        let flags = UnsafeRawPointer(errors).advanced(by: first)
        var bits: UInt64 = 0
        for i in 0..<frankaErrorFlagCount
        where flags.load(fromByteOffset: i * MemoryLayout<protobuf_c_boolean>.stride, as: protobuf_c_boolean.self) != 0 {
            bits |= 1 << UInt64(i)
        }
        return bits
    }
}

/// Number of flags in `FrankaRobotStateMessage.Errors`.
public let frankaErrorFlagCount = 37

/// True when the generated C struct stores the error flags back to back (checked by a test).
func errorFlagLayoutIsContiguous() -> Bool {
    let first = MemoryLayout<FrankaRobotStateMessage__Errors>.offset(
        of: \FrankaRobotStateMessage__Errors.joint_position_limits_violation)!
    let last = MemoryLayout<FrankaRobotStateMessage__Errors>.offset(
        of: \FrankaRobotStateMessage__Errors.joint_move_in_wrong_direction)!
    return last - first == (frankaErrorFlagCount - 1) * MemoryLayout<protobuf_c_boolean>.stride
}
