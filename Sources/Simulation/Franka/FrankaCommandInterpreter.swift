import PLDCore
import SwiftProtobuf
import Wire

/// The command-thread logic of deoxys's arm node (`franka_control_node.cpp`), without
/// sockets or threads: one call per poll, fed the bytes the poll received (or nil).
///
/// Modelled behaviour (deoxys-wire.md §6.2–6.3):
/// - empty poll: the no-message counter grows by one once a real controller message has
///   started the node (`start`); at 20 the process terminates (the watchdog). The check runs on
///   empty polls only, as in deoxys;
/// - unparseable message (bad bytes, wrong `Any` type URL for its controller type, OSC arrays
///   not 3 + 3 + 7 long, non-finite goals): the counter grows by one even before `start`;
/// - parsed message: counter reset; `termination` ends the process; the interpolation time
///   fraction is floored at 0.1;
/// - a controller is instantiated only while the main loop is at NO_CONTROL; NO_CONTROL (or any
///   message while the main loop is idle at a type that created no controller) stops the
///   motion; JOINT_VELOCITY / TORQUE instantiate nothing;
/// - a message for another controller type while one runs (a switch without the NO_CONTROL
///   preamble) goes to the running controller, which cannot unpack it: the goal is ignored
///   and the old controller keeps holding its last goal;
/// - goals: OSC delta relative to the **measured** pose (position + delta; rotation
///   R(axis-angle) · current, base frame), absolute as given; OSC_POSITION keeps the measured
///   orientation; OSC_YAW uses only the z component of the rotation; CARTESIAN_VELOCITY is
///   approximated as the pose reached after one poll period at the commanded twist; joint goals
///   absolute or relative to the measured joints. Interpolation time = fraction / policy rate.
///
/// Owned by the arm node thread.
struct FrankaCommandInterpreter {
    /// deoxys: 20 empty polls end the process.
    static let watchdogEmptyPolls = 20
    /// deoxys floors the interpolation time fraction here ("too dangerous" below).
    static let minimumTimeFraction = 0.1
    /// Larger messages are refused before parsing.
    static let maxMessageBytes = 64 * 1024

    typealias ControllerType = DeoxysFrankaControlMessage.ControllerType

    /// What one poll did.
    enum Outcome: Equatable {
        /// Nothing received.
        case empty
        /// Received but refused: the counter grew.
        case refused(String)
        /// The watchdog fired on this empty poll: the process exits.
        case watchdog
        /// `termination = true`: the process exits.
        case termination
        /// NO_CONTROL (or an idle main loop): motion stopped; `wasRunning` says if one ran.
        case stopped(wasRunning: Bool)
        /// A goal for the plant; `startedController` when this message created the controller.
        case goal(FrankaGoal, startedController: Bool)
        /// Parsed, but no running controller could use it.
        case ignored(String)
    }

    let policyRateHz: Double
    /// deoxys `no_msg_counter`.
    private(set) var noMessageCounter = 0
    /// deoxys `start`: a real controller message has been seen. Never cleared.
    private(set) var started = false
    /// deoxys `running`: a motion is executing.
    private(set) var running = false
    /// The main loop's `controller_type`: frozen while a motion runs, else the latest type.
    private(set) var mainLoopType: ControllerType = .noControl
    /// The controller object (`controller_ptr`); outlives the motion like deoxys's pointer.
    private(set) var controller: ControllerType?
    /// The last time fraction in force.
    private(set) var timeFraction = FrankaCommandInterpreter.minimumTimeFraction

    init(policyRateHz: Double) {
        self.policyRateHz = policyRateHz
    }

    /// Processes one poll. `measured` is the plant's current state (goals are relative to it).
    mutating func poll(_ bytes: [UInt8]?, measured: @autoclosure () -> FrankaPlantState) -> Outcome {
        guard let bytes else {
            if started { noMessageCounter += 1 }
            return noMessageCounter >= Self.watchdogEmptyPolls ? .watchdog : .empty
        }
        let message: DeoxysFrankaControlMessage
        do {
            message = try DeoxysFrankaControlMessage(wireBytes: bytes, maxBytes: Self.maxMessageBytes)
        } catch {
            noMessageCounter += 1
            return .refused(error.description.replacingNewlines())
        }
        let type = message.controllerType
        // The payload must be what its own controller type expects (the NUC's UnpackTo).
        if let problem = Self.payloadProblem(message) {
            noMessageCounter += 1
            return .refused(problem)
        }
        noMessageCounter = 0
        if message.termination { return .termination }
        timeFraction = message.trajInterpolatorTimeFraction > Self.minimumTimeFraction
            ? message.trajInterpolatorTimeFraction : Self.minimumTimeFraction

        var startedController = false
        if Self.isImplemented(type) && mainLoopType == .noControl {
            controller = type
            running = true
            mainLoopType = type
            startedController = true
        } else if type == .noControl || mainLoopType == .noControl {
            let wasRunning = running
            running = false
            mainLoopType = type
            return .stopped(wasRunning: wasRunning)
        }
        started = true
        guard running, let controller else {
            // The main loop sits at a type that created no controller (JOINT_VELOCITY, TORQUE):
            // nothing executes until a NO_CONTROL resets it. Idle, it follows the latest type.
            mainLoopType = type
            return .ignored("no controller runs (main loop at \(mainLoopType)); send NO_CONTROL first")
        }
        guard Self.family(controller) == Self.family(type) else {
            return .ignored("running \(controller) controller cannot unpack a \(type) message; send NO_CONTROL first")
        }
        let interpolationSeconds = timeFraction / policyRateHz
        guard let goal = Self.goal(for: message, controller: controller, measured: measured(),
                                   interpolationSeconds: interpolationSeconds, periodSeconds: 1 / policyRateHz)
        else {
            return .ignored("\(type) goal could not be computed")
        }
        return .goal(goal, startedController: startedController)
    }

    /// The process ends a motion on its own (reflex): the main loop returns to NO_CONTROL.
    mutating func abortMotion() {
        running = false
        mainLoopType = .noControl
    }

    // MARK: Controller table

    /// Types for which the NUC instantiates a controller.
    static func isImplemented(_ type: ControllerType) -> Bool {
        switch type {
        case .oscPose, .oscPosition, .oscYaw, .jointPosition, .jointImpedance, .cartesianVelocity: true
        default: false
        }
    }

    /// Controllers that unpack the same payload message.
    private enum Family { case osc, jointPosition, jointImpedance, cartesianVelocity, other }

    private static func family(_ type: ControllerType) -> Family {
        switch type {
        case .oscPose, .oscPosition, .oscYaw: .osc
        case .jointPosition: .jointPosition
        case .jointImpedance: .jointImpedance
        case .cartesianVelocity: .cartesianVelocity
        default: .other
        }
    }

    /// Why the payload of `message` would not unpack for its controller type; nil if it does.
    /// NO_CONTROL and unimplemented types are not unpacked by the NUC.
    static func payloadProblem(_ message: DeoxysFrankaControlMessage) -> String? {
        let any = message.controlMsg
        let named = "type URL \"\(any.typeURL)\""
        switch family(message.controllerType) {
        case .osc:
            guard let osc = DeoxysAny.unpack(any, as: DeoxysFrankaOSCPoseControllerMessage.self) else {
                return "\(message.controllerType) payload does not unpack as FrankaOSCPoseControllerMessage (\(named))"
            }
            guard osc.translationalStiffness.count == 3, osc.rotationalStiffness.count == 3,
                osc.config.residualMassVec.count == 7
            else {
                return "OSC arrays must hold 3 + 3 stiffness and 7 residual-mass values (got \(osc.translationalStiffness.count), \(osc.rotationalStiffness.count), \(osc.config.residualMassVec.count)); deoxys reads them unchecked"
            }
            return isFinite(osc.goal) ? nil : "OSC goal is not finite"
        case .jointPosition:
            guard let joint = DeoxysAny.unpack(any, as: DeoxysFrankaJointPositionControllerMessage.self) else {
                return "JOINT_POSITION payload does not unpack as FrankaJointPositionControllerMessage (\(named))"
            }
            return jointValues(joint.goal).allSatisfy(\.isFinite) ? nil : "joint goal is not finite"
        case .jointImpedance:
            guard let joint = DeoxysAny.unpack(any, as: DeoxysFrankaJointImpedanceControllerMessage.self) else {
                return "JOINT_IMPEDANCE payload does not unpack as FrankaJointImpedanceControllerMessage (\(named))"
            }
            guard joint.kp.count == 7, joint.kd.count == 7 else {
                return "joint impedance needs 7 kp and 7 kd values (got \(joint.kp.count), \(joint.kd.count))"
            }
            return jointValues(joint.goal).allSatisfy(\.isFinite) ? nil : "joint goal is not finite"
        case .cartesianVelocity:
            guard let velocity = DeoxysAny.unpack(any, as: DeoxysFrankaCartesianVelocityControllerMessage.self) else {
                return "CARTESIAN_VELOCITY payload does not unpack as FrankaCartesianVelocityControllerMessage (\(named))"
            }
            return isFinite(velocity.goal) ? nil : "velocity goal is not finite"
        case .other:
            return nil
        }
    }

    // MARK: Goals

    /// The plant goal for `message` under `controller`, from the measured state.
    static func goal(
        for message: DeoxysFrankaControlMessage, controller: ControllerType, measured: FrankaPlantState,
        interpolationSeconds: Double, periodSeconds: Double
    ) -> FrankaGoal? {
        let any = message.controlMsg
        let current = measured.endEffectorPose
        switch controller {
        case .oscPose, .oscPosition, .oscYaw:
            guard let goal = DeoxysAny.unpack(any, as: DeoxysFrankaOSCPoseControllerMessage.self)?.goal else { return nil }
            var rotationVector = SIMD3(goal.ax, goal.ay, goal.az)
            if controller == .oscYaw { rotationVector = SIMD3(0, 0, goal.az) }
            var target: Pose
            if goal.isDelta {
                target = Pose(
                    translation: current.translation + SIMD3(goal.x, goal.y, goal.z),
                    rotation: Rotation(axisAngle: rotationVector) * current.rotation)
            } else {
                target = Pose(
                    translation: SIMD3(goal.x, goal.y, goal.z),
                    rotation: controller == .oscYaw
                        ? Rotation(axisAngle: rotationVector) * current.rotation
                        : Rotation(axisAngle: rotationVector))
            }
            if controller == .oscPosition { target.rotation = current.rotation }
            return .pose(target, interpolationSeconds: interpolationSeconds)
        case .cartesianVelocity:
            guard let twist = DeoxysAny.unpack(any, as: DeoxysFrankaCartesianVelocityControllerMessage.self)?.goal
            else { return nil }
            let target = Pose(
                translation: current.translation + SIMD3(twist.x, twist.y, twist.z) * periodSeconds,
                rotation: Rotation(axisAngle: SIMD3(twist.ax, twist.ay, twist.az) * periodSeconds) * current.rotation)
            return .pose(target, interpolationSeconds: periodSeconds)
        case .jointPosition:
            guard let goal = DeoxysAny.unpack(any, as: DeoxysFrankaJointPositionControllerMessage.self)?.goal else { return nil }
            return .joints(jointTarget(goal, measured: measured.q), interpolationSeconds: interpolationSeconds, kind: .position)
        case .jointImpedance:
            guard let goal = DeoxysAny.unpack(any, as: DeoxysFrankaJointImpedanceControllerMessage.self)?.goal else { return nil }
            return .joints(jointTarget(goal, measured: measured.q), interpolationSeconds: interpolationSeconds, kind: .impedance)
        default:
            return nil
        }
    }

    private static func jointTarget(_ goal: DeoxysJointGoal, measured: [Double]) -> [Double] {
        let values = jointValues(goal)
        guard goal.isDelta, measured.count == 7 else { return values }
        return zip(measured, values).map { $0 + $1 }
    }

    private static func jointValues(_ goal: DeoxysJointGoal) -> [Double] {
        [goal.q1, goal.q2, goal.q3, goal.q4, goal.q5, goal.q6, goal.q7]
    }

    private static func isFinite(_ goal: DeoxysGoal) -> Bool {
        [goal.x, goal.y, goal.z, goal.ax, goal.ay, goal.az].allSatisfy(\.isFinite)
    }
}

/// A goal the NUC hands to the plant.
enum FrankaGoal: Equatable {
    case pose(Pose, interpolationSeconds: Double)
    case joints([Double], interpolationSeconds: Double, kind: JointControlKind)
}

extension String {
    /// The text on one line (newlines become spaces), for one-line errors and log lines.
    func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
