import CWireCodec

/// Encodes `pld.ArmCommand` into caller-provided buffers without heap allocation.
///
/// Contract: one encoder per thread (the egress path). Non-finite targets are refused, never
/// encoded. A `hold` command carries no targets: the driver holds its current position.
public final class ArmCommandEncoder {
    public let jointCount: Int
    private let message: UnsafeMutablePointer<Pld__ArmCommand>
    private let targets: UnsafeMutablePointer<Double>

    public init(jointCount: Int) {
        precondition((1...armMaxJoints).contains(jointCount), "ArmCommandEncoder: joint count \(jointCount) outside 1...\(armMaxJoints)")
        self.jointCount = jointCount
        message = .allocate(capacity: 1)
        pld__arm_command__init(message)
        targets = .allocate(capacity: armMaxJoints)
        message.pointee.protocol_version = UInt32(PLD__ARM_PROTOCOL_VERSION__ARM_PROTOCOL_VERSION_CURRENT.rawValue)
        message.pointee.q_target_rad = targets
    }

    deinit {
        message.deallocate()
        targets.deallocate()
    }

    /// A joint-position command: the first `jointCount` entries of `qTarget` (rad) and a
    /// normalised gripper target (0 open … 1 closed).
    public func encodeTarget(
        sequence: UInt64, sentUnixNanos: Int64, qTarget: InlineArray<8, Double>, gripperTarget: Double,
        into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        for i in 0..<jointCount {
            guard qTarget[i].isFinite else { throw .nonFinite(field: .commandQ) }
            targets[i] = qTarget[i]
        }
        guard gripperTarget.isFinite else { throw .nonFinite(field: .armGripper) }
        message.pointee.n_q_target_rad = jointCount
        message.pointee.gripper_target = gripperTarget
        message.pointee.hold = 0
        return try pack(sequence: sequence, sentUnixNanos: sentUnixNanos, into: out)
    }

    /// A hold command: the driver keeps its current joints and gripper.
    public func encodeHold(
        sequence: UInt64, sentUnixNanos: Int64, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        message.pointee.n_q_target_rad = 0
        message.pointee.gripper_target = 0
        message.pointee.hold = 1
        return try pack(sequence: sequence, sentUnixNanos: sentUnixNanos, into: out)
    }

    private func pack(sequence: UInt64, sentUnixNanos: Int64, into out: UnsafeMutableRawBufferPointer) throws(WireEncodeError) -> Int {
        message.pointee.sequence = sequence
        message.pointee.sent_unix_ns = sentUnixNanos
        let base = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(base)
        guard size <= out.count, let address = out.baseAddress else {
            throw .bufferTooSmall(needed: size, capacity: out.count)
        }
        _ = protobuf_c_message_pack(base, address.assumingMemoryBound(to: UInt8.self))
        return size
    }
}
