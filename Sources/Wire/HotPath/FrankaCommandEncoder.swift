import CWireCodec

/// Encodes deoxys arm and gripper commands into caller-provided buffers without heap allocation
/// (protobuf-c packing of C messages that are allocated and wired together once, in `init`).
///
/// The bytes equal what deoxys's Python `FrankaInterface` sends for the same settings (checked
/// against the reference's golden vectors): `Any` type URLs are `type.googleapis.com/<BareName>`,
/// every controller message carries the interpolator, time fraction, timeout and state-estimator
/// block, and OSC messages always carry 3 + 3 stiffness and 7 residual-mass values.
///
/// Threading: owned by one thread (the egress path); not Sendable.
public final class FrankaCommandEncoder {
    public let osc: FrankaControllerSettings
    public let jointPosition: FrankaControllerSettings
    public let jointImpedance: FrankaControllerSettings

    private let s: Storage

    /// - Parameters: per-controller settings; defaults are deoxys's controller YAMLs.
    /// - Throws: `.interpolatorFractionTooSmall` when a fraction is ≤ 0.1.
    public init(
        osc: FrankaControllerSettings = .oscPose, jointPosition: FrankaControllerSettings = .jointPosition,
        jointImpedance: FrankaControllerSettings = .jointImpedance
    ) throws(WireEncodeError) {
        for settings in [osc, jointPosition, jointImpedance] where !(settings.interpolatorTimeFraction > 0.1) {
            throw .interpolatorFractionTooSmall
        }
        self.osc = osc
        self.jointPosition = jointPosition
        self.jointImpedance = jointImpedance
        s = try Storage(osc: osc, jointPosition: jointPosition, jointImpedance: jointImpedance)
    }

    /// OSC_POSE / OSC_POSITION / OSC_YAW with a task-space goal.
    public func encodeOSC(
        _ controller: FrankaControllerType = .oscPose, goal: TaskSpaceGoal, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        precondition(controller == .oscPose || controller == .oscPosition || controller == .oscYaw)
        guard goal.isFinite else { throw .goalNotFinite }
        let g = s.goal
        g.pointee.is_delta = goal.isDelta ? 1 : 0
        g.pointee.x = goal.x
        g.pointee.y = goal.y
        g.pointee.z = goal.z
        g.pointee.ax = goal.ax
        g.pointee.ay = goal.ay
        g.pointee.az = goal.az
        try s.packInner(s.oscMessage, typeURL: s.oscTypeURL)
        return try s.packControl(controller: controller, settings: osc, estimator: s.oscEstimator, into: out)
    }

    /// JOINT_POSITION towards `q` (rad); deoxys sends absolute goals (`is_delta = false`).
    public func encodeJointPosition(
        _ q: InlineArray<7, Double>, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        try s.setJointGoal(q)
        try s.packInner(s.jointPositionMessage, typeURL: s.jointPositionTypeURL)
        return try s.packControl(
            controller: .jointPosition, settings: jointPosition, estimator: s.jointPositionEstimator, into: out)
    }

    /// JOINT_IMPEDANCE towards `q` (rad) with the configured kp/kd.
    public func encodeJointImpedance(
        _ q: InlineArray<7, Double>, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        try s.setJointGoal(q)
        try s.packInner(s.jointImpedanceMessage, typeURL: s.jointImpedanceTypeURL)
        return try s.packControl(
            controller: .jointImpedance, settings: jointImpedance, estimator: s.jointImpedanceEstimator, into: out)
    }

    /// NO_CONTROL with an empty `FrankaDummyControllerMessage` and `timeout = 0.2`: the
    /// controller-switch preamble (send 20 at the NUC's poll rate) and the idle keep-alive.
    /// Stops a running motion on the NUC.
    public func encodeNoControl(into out: UnsafeMutableRawBufferPointer) throws(WireEncodeError) -> Int {
        try s.packInner(s.dummyMessage, typeURL: s.dummyTypeURL)
        return try s.packBare(termination: false, timeout: osc.timeoutSeconds, into: out)
    }

    /// `termination = true`: the NUC ends its control process (orderly shutdown).
    public func encodeTermination(into out: UnsafeMutableRawBufferPointer) throws(WireEncodeError) -> Int {
        try s.packInner(s.dummyMessage, typeURL: s.dummyTypeURL)
        return try s.packBare(termination: true, timeout: osc.timeoutSeconds, into: out)
    }

    /// Gripper `Move` (open to a width): width in m, speed in m/s.
    public func encodeGripperMove(
        widthMeters: Double, speedMetersPerSecond: Double, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        guard widthMeters.isFinite, speedMetersPerSecond.isFinite else { throw .goalNotFinite }
        s.move.pointee.width = widthMeters
        s.move.pointee.speed = speedMetersPerSecond
        return try s.packGripper(s.move, typeURL: s.moveTypeURL, into: out)
    }

    /// Gripper `Grasp` (close): width in m (deoxys's client sends −0.01), speed m/s, force N.
    public func encodeGripperGrasp(
        widthMeters: Double, speedMetersPerSecond: Double, forceNewtons: Double, epsilonInnerMeters: Double,
        epsilonOuterMeters: Double, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        guard widthMeters.isFinite, speedMetersPerSecond.isFinite, forceNewtons.isFinite,
            epsilonInnerMeters.isFinite, epsilonOuterMeters.isFinite
        else { throw .goalNotFinite }
        let g = s.grasp
        g.pointee.width = widthMeters
        g.pointee.speed = speedMetersPerSecond
        g.pointee.force = forceNewtons
        g.pointee.epsilon_inner = epsilonInnerMeters
        g.pointee.epsilon_outer = epsilonOuterMeters
        return try s.packGripper(g, typeURL: s.graspTypeURL, into: out)
    }

    /// Gripper node termination (orderly shutdown).
    public func encodeGripperTermination(into out: UnsafeMutableRawBufferPointer) throws(WireEncodeError) -> Int {
        s.move.pointee.width = 0
        s.move.pointee.speed = 0
        s.gripperControl.pointee.termination = 1
        defer { s.gripperControl.pointee.termination = 0 }
        return try s.packGripper(s.move, typeURL: s.moveTypeURL, into: out)
    }
}

/// The C messages behind one encoder, wired together once. All memory is freed in `deinit`.
private final class Storage {
    let control = Storage.make(FrankaControlMessage.self, franka_control_message__init)
    let any = Storage.make(Google__Protobuf__Any.self, google__protobuf__any__init)
    let goal = Storage.make(Goal.self, goal__init)
    let jointGoal = Storage.make(JointGoal.self, joint_goal__init)
    let oscMessage = Storage.make(FrankaOSCPoseControllerMessage.self, franka_oscpose_controller_message__init)
    let oscConfig = Storage.make(FrankaOSCControllerConfig.self, franka_osccontroller_config__init)
    let jointPositionMessage = Storage.make(
        FrankaJointPositionControllerMessage.self, franka_joint_position_controller_message__init)
    let jointImpedanceMessage = Storage.make(
        FrankaJointImpedanceControllerMessage.self, franka_joint_impedance_controller_message__init)
    let dummyMessage = Storage.make(FrankaDummyControllerMessage.self, franka_dummy_controller_message__init)
    let gripperControl = Storage.make(FrankaGripperControlMessage.self, franka_gripper_control_message__init)
    let gripperAny = Storage.make(Google__Protobuf__Any.self, google__protobuf__any__init)
    let move = Storage.make(FrankaGripperMoveMessage.self, franka_gripper_move_message__init)
    let grasp = Storage.make(FrankaGripperGraspMessage.self, franka_gripper_grasp_message__init)
    /// Estimator blocks, one per controller, with their `Any` packed once (settings are fixed).
    var oscEstimator: UnsafeMutablePointer<FrankaStateEstimatorMessage>!
    var jointPositionEstimator: UnsafeMutablePointer<FrankaStateEstimatorMessage>!
    var jointImpedanceEstimator: UnsafeMutablePointer<FrankaStateEstimatorMessage>!
    /// Scratch for a packed inner controller message (largest: OSC, about 130 bytes).
    let inner = UnsafeMutablePointer<UInt8>.allocate(capacity: Storage.innerCapacity)
    static let innerCapacity = 1024
    /// Fixed doubles the messages point into.
    let doubles = UnsafeMutablePointer<Double>.allocate(capacity: 3 + 3 + 7 + 7 + 7)

    let oscTypeURL = Storage.typeURL("FrankaOSCPoseControllerMessage")
    let jointPositionTypeURL = Storage.typeURL("FrankaJointPositionControllerMessage")
    let jointImpedanceTypeURL = Storage.typeURL("FrankaJointImpedanceControllerMessage")
    let dummyTypeURL = Storage.typeURL("FrankaDummyControllerMessage")
    let moveTypeURL = Storage.typeURL("FrankaGripperMoveMessage")
    let graspTypeURL = Storage.typeURL("FrankaGripperGraspMessage")
    private var owned: [UnsafeMutableRawPointer] = []

    init(osc: FrankaControllerSettings, jointPosition: FrankaControllerSettings,
         jointImpedance: FrankaControllerSettings) throws(WireEncodeError) {
        // OSC: goal, 3 + 3 stiffness, 7 residual mass.
        let translational = doubles, rotational = doubles + 3, residualMass = doubles + 6
        for i in 0..<3 {
            translational[i] = osc.translationalStiffness[i]
            rotational[i] = osc.rotationalStiffness[i]
        }
        for i in 0..<7 { residualMass[i] = osc.residualMass[i] }
        oscMessage.pointee.goal = goal
        oscMessage.pointee.n_translational_stiffness = 3
        oscMessage.pointee.translational_stiffness = translational
        oscMessage.pointee.n_rotational_stiffness = 3
        oscMessage.pointee.rotational_stiffness = rotational
        oscConfig.pointee.n_residual_mass_vec = 7
        oscConfig.pointee.residual_mass_vec = residualMass
        oscMessage.pointee.config = oscConfig
        // Joint position: goal, speed factor; kp/kd gains unset like the Python client.
        jointPositionMessage.pointee.goal = jointGoal
        jointPositionMessage.pointee.speed_factor = jointPosition.speedFactor
        // Joint impedance: goal and 7 + 7 gains.
        let kp = doubles + 13, kd = doubles + 20
        for i in 0..<7 {
            kp[i] = jointImpedance.jointKp[i]
            kd[i] = jointImpedance.jointKd[i]
        }
        jointImpedanceMessage.pointee.goal = jointGoal
        jointImpedanceMessage.pointee.n_kp = 7
        jointImpedanceMessage.pointee.kp = kp
        jointImpedanceMessage.pointee.n_kd = 7
        jointImpedanceMessage.pointee.kd = kd
        control.pointee.control_msg = any
        gripperControl.pointee.control_msg = gripperAny
        oscEstimator = try makeEstimator(osc.estimator)
        jointPositionEstimator = try makeEstimator(jointPosition.estimator)
        jointImpedanceEstimator = try makeEstimator(jointImpedance.estimator)
    }

    deinit {
        for pointer in owned { pointer.deallocate() }
        inner.deallocate()
        doubles.deallocate()
        for url in [oscTypeURL, jointPositionTypeURL, jointImpedanceTypeURL, dummyTypeURL, moveTypeURL, graspTypeURL] {
            url.deallocate()
        }
        for pointer: UnsafeMutableRawPointer in [
            UnsafeMutableRawPointer(control), UnsafeMutableRawPointer(any), UnsafeMutableRawPointer(goal),
            UnsafeMutableRawPointer(jointGoal), UnsafeMutableRawPointer(oscMessage),
            UnsafeMutableRawPointer(oscConfig), UnsafeMutableRawPointer(jointPositionMessage),
            UnsafeMutableRawPointer(jointImpedanceMessage), UnsafeMutableRawPointer(dummyMessage),
            UnsafeMutableRawPointer(gripperControl), UnsafeMutableRawPointer(gripperAny),
            UnsafeMutableRawPointer(move), UnsafeMutableRawPointer(grasp),
        ] {
            pointer.deallocate()
        }
    }

    /// An estimator block whose `Any(ExponentialSmoothingConfig)` is packed now, once.
    private func makeEstimator(
        _ settings: FrankaEstimatorSettings
    ) throws(WireEncodeError) -> UnsafeMutablePointer<FrankaStateEstimatorMessage> {
        let estimator = Storage.make(FrankaStateEstimatorMessage.self, franka_state_estimator_message__init)
        let config = Storage.make(Google__Protobuf__Any.self, google__protobuf__any__init)
        let smoothing = Storage.make(ExponentialSmoothingConfig.self, exponential_smoothing_config__init)
        defer { UnsafeMutableRawPointer(smoothing).deallocate() }
        guard settings.alphaQ.isFinite, settings.alphaDq.isFinite, settings.alphaEEF.isFinite else {
            throw .goalNotFinite
        }
        smoothing.pointee.alpha_q = settings.alphaQ
        smoothing.pointee.alpha_dq = settings.alphaDq
        smoothing.pointee.alpha_eef = settings.alphaEEF
        let size = Storage.packedSize(smoothing)
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(size, 1))
        Storage.pack(smoothing, into: bytes)
        config.pointee.type_url = Storage.typeURL("ExponentialSmoothingConfig")
        config.pointee.value = ProtobufCBinaryData(len: size, data: bytes)
        estimator.pointee.is_estimation = settings.isEstimation ? 1 : 0
        estimator.pointee.estimator_type = FRANKA_STATE_ESTIMATOR_MESSAGE__ESTIMATOR_TYPE__EXPONENTIAL_SMOOTHING_ESTIMATOR
        estimator.pointee.config = config
        owned += [
            UnsafeMutableRawPointer(estimator), UnsafeMutableRawPointer(config), UnsafeMutableRawPointer(bytes),
            UnsafeMutableRawPointer(config.pointee.type_url),
        ]
        return estimator
    }

    func setJointGoal(_ q: InlineArray<7, Double>) throws(WireEncodeError) {
        for i in 0..<7 where !q[i].isFinite { throw .nonFinite(field: .commandQ) }
        let g = jointGoal
        g.pointee.is_delta = 0
        g.pointee.q1 = q[0]
        g.pointee.q2 = q[1]
        g.pointee.q3 = q[2]
        g.pointee.q4 = q[3]
        g.pointee.q5 = q[4]
        g.pointee.q6 = q[5]
        g.pointee.q7 = q[6]
    }

    /// Packs a controller message into `inner` and points the control `Any` at it.
    func packInner<M>(_ message: UnsafeMutablePointer<M>, typeURL: UnsafeMutablePointer<CChar>) throws(WireEncodeError) {
        let size = Storage.packedSize(message)
        guard size <= Storage.innerCapacity else { throw .bufferTooSmall(needed: size, capacity: Storage.innerCapacity) }
        Storage.pack(message, into: inner)
        any.pointee.type_url = typeURL
        any.pointee.value = ProtobufCBinaryData(len: size, data: inner)
    }

    func packControl(
        controller: FrankaControllerType, settings: FrankaControllerSettings,
        estimator: UnsafeMutablePointer<FrankaStateEstimatorMessage>, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        let c = control
        c.pointee.termination = 0
        c.pointee.controller_type = FrankaControlMessage__ControllerType(rawValue: controller.rawValue)
        c.pointee.traj_interpolator_type = FrankaControlMessage__TrajInterpolatorType(
            rawValue: settings.interpolator.rawValue)
        c.pointee.traj_interpolator_time_fraction = settings.interpolatorTimeFraction
        c.pointee.timeout = settings.timeoutSeconds
        c.pointee.state_estimator_msg = estimator
        return try Storage.packChecked(c, into: out)
    }

    /// NO_CONTROL and termination: no interpolator and no estimator, like the Python preamble.
    func packBare(termination: Bool, timeout: Double, into out: UnsafeMutableRawBufferPointer) throws(WireEncodeError) -> Int {
        let c = control
        c.pointee.termination = termination ? 1 : 0
        c.pointee.controller_type = FRANKA_CONTROL_MESSAGE__CONTROLLER_TYPE__NO_CONTROL
        c.pointee.traj_interpolator_type = FRANKA_CONTROL_MESSAGE__TRAJ_INTERPOLATOR_TYPE__NO_OP
        c.pointee.traj_interpolator_time_fraction = 0
        c.pointee.timeout = timeout
        c.pointee.state_estimator_msg = nil
        return try Storage.packChecked(c, into: out)
    }

    func packGripper<M>(
        _ message: UnsafeMutablePointer<M>, typeURL: UnsafeMutablePointer<CChar>, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        let size = Storage.packedSize(message)
        guard size <= Storage.innerCapacity else { throw .bufferTooSmall(needed: size, capacity: Storage.innerCapacity) }
        Storage.pack(message, into: inner)
        gripperAny.pointee.type_url = typeURL
        gripperAny.pointee.value = ProtobufCBinaryData(len: size, data: inner)
        return try Storage.packChecked(gripperControl, into: out)
    }

    // MARK: protobuf-c plumbing

    static func make<M>(_: M.Type, _ initialize: @Sendable (UnsafeMutablePointer<M>?) -> Void) -> UnsafeMutablePointer<M> {
        let pointer = UnsafeMutablePointer<M>.allocate(capacity: 1)
        initialize(pointer)
        return pointer
    }

    static func base<M>(_ message: UnsafeMutablePointer<M>) -> UnsafePointer<ProtobufCMessage> {
        UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
    }

    static func packedSize<M>(_ message: UnsafeMutablePointer<M>) -> Int {
        protobuf_c_message_get_packed_size(base(message))
    }

    static func pack<M>(_ message: UnsafeMutablePointer<M>, into out: UnsafeMutablePointer<UInt8>) {
        _ = protobuf_c_message_pack(base(message), out)
    }

    static func packChecked<M>(
        _ message: UnsafeMutablePointer<M>, into out: UnsafeMutableRawBufferPointer
    ) throws(WireEncodeError) -> Int {
        let size = packedSize(message)
        guard size <= out.count, let address = out.baseAddress else {
            throw .bufferTooSmall(needed: size, capacity: out.count)
        }
        pack(message, into: address.assumingMemoryBound(to: UInt8.self))
        return size
    }

    /// `type.googleapis.com/<BareName>` as a NUL-terminated C string that lives until deinit.
    static func typeURL(_ bareName: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array("type.googleapis.com/\(bareName)".utf8)
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
        for (i, byte) in utf8.enumerated() { pointer[i] = CChar(bitPattern: byte) }
        pointer[utf8.count] = 0
        return pointer
    }
}
