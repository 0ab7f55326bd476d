import CWireCodec

/// Decodes `pld.ArmState` bytes without heap allocation, for an arm with a known joint count.
///
/// Contract: one decoder per thread. A state with another protocol version, another joint count,
/// NaN/Inf in q/dq/τ/gripper, or malformed bytes is refused (`WireDecodeError`); the caller keeps
/// its previous sample and no command is derived from the refused one. `dq` and `tau` may be
/// absent (a driver without velocity or torque sensing); then they read as zero.
public final class ArmStateDecoder {
    public static let defaultMaxMessageBytes = 16 * 1024
    public let jointCount: Int
    public let maxMessageBytes: Int
    private let arena: DecodeArena

    public init(jointCount: Int, maxMessageBytes: Int = ArmStateDecoder.defaultMaxMessageBytes) {
        precondition((1...armMaxJoints).contains(jointCount), "ArmStateDecoder: joint count \(jointCount) outside 1...\(armMaxJoints)")
        self.jointCount = jointCount
        self.maxMessageBytes = maxMessageBytes
        arena = DecodeArena(capacity: 2 * maxMessageBytes + 4096)
    }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws(WireDecodeError) -> ArmStateSample {
        let m = try arena.unpack(bytes, as: .armState, maxBytes: maxMessageBytes, pld__arm_state__unpack)
        let expectedVersion = UInt32(PLD__ARM_PROTOCOL_VERSION__ARM_PROTOCOL_VERSION_CURRENT.rawValue)
        guard m.protocol_version == expectedVersion else {
            throw .protocolVersion(expected: expectedVersion, actual: m.protocol_version)
        }
        var s = ArmStateSample()
        s.jointCount = jointCount
        try copyJoints(m.q_rad, count: m.n_q_rad, into: &s.q, field: .armQ, required: true)
        try copyJoints(m.dq_rad_per_s, count: m.n_dq_rad_per_s, into: &s.dq, field: .armDq, required: false)
        try copyJoints(m.tau_nm, count: m.n_tau_nm, into: &s.tau, field: .armTau, required: false)
        guard m.gripper_position.isFinite, m.gripper_velocity_per_s.isFinite, m.gripper_effort.isFinite else {
            throw .nonFinite(field: .armGripper)
        }
        s.gripperPosition = m.gripper_position
        s.gripperVelocityPerSecond = m.gripper_velocity_per_s
        s.gripperEffort = m.gripper_effort
        s.sequence = m.sequence
        s.sampleUnixNanos = m.sample_unix_ns
        s.mode = DriverMode(rawValue: Int32(bitPattern: m.mode.rawValue)) ?? .unspecified
        s.lastCommandSequence = m.last_command_sequence
        s.hasFaultMessage = m.fault_message != nil && m.fault_message.pointee != 0
        return s
    }

    private func copyJoints(
        _ source: UnsafeMutablePointer<Double>?, count: Int, into target: inout InlineArray<8, Double>,
        field: HotField, required: Bool
    ) throws(WireDecodeError) {
        if count == 0 && !required { return }
        guard count == jointCount, let source else {
            throw .wrongCount(field: field, expected: jointCount, actual: count)
        }
        for i in 0..<count {
            guard source[i].isFinite else { throw .nonFinite(field: field) }
            target[i] = source[i]
        }
    }
}
