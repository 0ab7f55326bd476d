import PLDCore

/// The safety chain: every tick, the composed normalised action ā and the arms' states become
/// one physical command per arm, plus the events of every intervention (DESIGN.md §3,
/// method-and-safety.md §8.4).
///
/// Threading: build it anywhere (`init` allocates and validates); then `apply` belongs to the
/// control thread. `apply` is a pure function of its arguments and the chain's constants: it
/// allocates nothing (inline storage for the action, commands and events; the chain's arrays
/// are read only), takes no lock, never blocks and never logs. The only calls out are the
/// injected `ForwardKinematics`, under the same contract.
///
/// Not `Sendable`: it holds the forward-kinematics closures, which usually capture a
/// single-thread MuJoCo model.
public struct SafetyChain {
    /// The arms, in the order of the configuration's `arms` list; `states`, `commands` and
    /// `SafetyEvent.arm` use this order.
    public let arms: [SafetyArm]
    /// Width of the action vector (the sum of the segments).
    public let actionDimension: Int
    public let actionBox: ActionBoxConfig
    public let maxStep: StepCapConfig
    public let jointVelocityFraction: Double
    public let jointAccelerationFraction: Double
    public let nanPolicy: NonFiniteActionPolicy
    private let fatalEventMask: UInt32
    private let jointCounts: InlineArray<4, Int>

    /// Builds the chain for `config`; see the designated initialiser.
    public init(
        config: RobotConfig, kinematics: [String: ForwardKinematics] = [:], driverLimits: [String: DriverJointLimits] = [:]
    ) throws(SafetySetupError) {
        try self.init(arms: config.arms, actionSpace: config.actionSpace, safety: config.safety,
                      kinematics: kinematics, driverLimits: driverLimits)
    }

    /// Builds the chain from a validated configuration.
    /// - Parameters:
    ///   - kinematics: forward kinematics by arm name. Required for `joint_position` arms with a
    ///     workspace box; used by `ee_delta` arms whose state carries no end-effector pose.
    ///   - driverLimits: the joint limits each driver reported, by arm name, applied according
    ///     to `safety.joint_limits.source` (`config` ignores them; `driver` requires them;
    ///     `tightest` takes the tighter bound per joint).
    /// - Throws: `SafetySetupError` naming the arm and field when the pieces do not fit.
    public init(
        arms armConfigs: [ArmConfig], actionSpace: ActionSpaceConfig, safety: SafetyConfig,
        kinematics: [String: ForwardKinematics] = [:], driverLimits: [String: DriverJointLimits] = [:]
    ) throws(SafetySetupError) {
        guard (1...safetyMaxArms).contains(armConfigs.count) else {
            throw SafetySetupError("\(armConfigs.count) arms; the safety chain drives 1...\(safetyMaxArms)")
        }
        for name in kinematics.keys where !armConfigs.contains(where: { $0.name == name }) {
            throw SafetySetupError(arm: name, "forward kinematics given for an arm the configuration does not have")
        }
        for name in driverLimits.keys where !armConfigs.contains(where: { $0.name == name }) {
            throw SafetySetupError(arm: name, "driver limits given for an arm the configuration does not have")
        }
        var offsets: [String: (segment: ActionSegment, offset: Int)] = [:]
        var width = 0
        for segment in actionSpace.segments {
            guard let arm = armConfigs.first(where: { $0.name == segment.arm }) else {
                throw SafetySetupError(arm: segment.arm, "action segment for an arm the configuration does not have")
            }
            guard offsets[segment.arm] == nil else { throw SafetySetupError(arm: segment.arm, "has two action segments") }
            offsets[segment.arm] = (segment, width)
            width += segment.dimension(jointCount: arm.jointCount, hasGripper: arm.hasGripper)
        }
        guard width <= actionMaxDimensions else {
            throw SafetySetupError("action space is \(width) wide; at most \(actionMaxDimensions)")
        }
        var resolved: [SafetyArm] = []
        var counts = InlineArray<4, Int>(repeating: 0)
        for (index, arm) in armConfigs.enumerated() {
            guard let (segment, offset) = offsets[arm.name] else { throw SafetySetupError(arm: arm.name, "has no action segment") }
            resolved.append(try SafetyArm(index: index, config: arm, segment: segment, segmentOffset: offset, safety: safety,
                                          kinematics: kinematics[arm.name], driverLimits: driverLimits[arm.name]))
            counts[index] = arm.jointCount
        }
        var mask: UInt32 = 0
        for kind in safety.fatalEvents { mask |= kind.bit }

        self.arms = resolved
        self.actionDimension = width
        self.actionBox = safety.actionBox
        self.maxStep = safety.maxStep
        self.jointVelocityFraction = safety.jointVelocityFraction
        self.jointAccelerationFraction = safety.jointAccelerationFraction
        self.nanPolicy = safety.nanPolicy
        self.fatalEventMask = mask
        self.jointCounts = counts
    }

    /// Index of the arm called `name`.
    public func armIndex(named name: String) -> Int? { arms.firstIndex { $0.name == name } }

    /// Every arm holding, no events: `previous` for the first tick and after any tick whose
    /// commands the caller replaced by hold.
    public var holding: SafetyOutput { .holding(jointCounts: jointCounts, armCount: arms.count) }

    /// One tick of the chain.
    /// - Parameters:
    ///   - action: the composed action ā, `actionDimension` wide (segments in action-space
    ///     order): normalised, except `joint_position` targets in rad.
    ///   - states: the latest state of every arm, in `arms` order (keep one array and overwrite
    ///     its elements each tick: passing it allocates nothing).
    ///   - previous: what this chain returned last tick, or `holding` when hold commands were
    ///     sent instead; the acceleration limit measures against its joint steps.
    ///   - periodS: the tick period, s (the configured `control` period).
    /// - Returns: one command per arm and the events. Control thread; no allocation.
    public func apply(_ action: ActionVector, states: [ArmState], previous: SafetyOutput, periodS: Double) -> SafetyOutput {
        precondition(periodS > 0 && periodS.isFinite, "tick period must be positive and finite")
        precondition(states.count == arms.count && previous.armCount == arms.count, "one state and one previous command per arm")
        var output = holding

        // 1. Non-finite rejection: nothing of a poisoned action moves any arm.
        if let rejection = NonFiniteRejection.rejection(of: action, width: actionDimension, arms: arms) {
            output.events.record(rejection)
            output.nonFiniteAction = nanPolicy
            return finished(output, nonFiniteLatches: nanPolicy == .estop)
        }
        var boxed = action
        for arm in arms.indices {
            output.commands[arm] = command(for: arms[arm], action: &boxed, state: states[arm],
                                           previous: previous.commands[arm], periodS: periodS, events: &output.events)
        }
        return finished(output, nonFiniteLatches: false)
    }

    /// Stages 2–7 for one arm (its part of `action` is boxed in place).
    private func command(
        for arm: SafetyArm, action: inout ActionVector, state: ArmState, previous: ArmCommand, periodS: Double,
        events: inout SafetyEventBuffer
    ) -> ArmCommand {
        if let stale = StaleStateHold.staleness(of: state, arm: arm) {
            events.record(stale)
            return .hold(jointCount: arm.jointCount)
        }
        // 2. Action box, 3. physical units.
        ActionBox.apply(&action, arm: arm, low: actionBox.low, high: actionBox.high, events: &events)
        var command = PhysicalScaling.command(from: action, arm: arm, events: &events)

        switch arm.kind {
        case .eeDelta:
            guard let box = arm.workspace, let measured = WorkspaceLimit.measuredPosition(of: state, arm: arm) else {
                events.record(SafetyEvent(kind: .workspaceClamped, stage: .workspace, arm: arm.index, element: -1, requested: 0, applied: 0))
                return .hold(jointCount: arm.jointCount)
            }
            // 4. Step cap (also the Cartesian speed bound), 5. workspace box.
            StepCap.capEndEffector(&command, caps: maxStep, arm: arm.index, events: &events)
            WorkspaceLimit.clampEndEffector(&command, measured: measured, box: box, translationCapM: maxStep.translationM,
                                            arm: arm.index, events: &events)
        case .jointPosition:
            let q = state.q
            // 4. Step cap, 5. workspace box through forward kinematics.
            StepCap.capJoints(&command, q: q, capRad: maxStep.jointRad, arm: arm.index, events: &events)
            if let box = arm.workspace, let kinematics = arm.kinematics {
                WorkspaceLimit.scaleBackJoints(&command, q: q, box: box, kinematics: kinematics, arm: arm.index,
                                               stage: .workspace, events: &events)
            }
            let insideWorkspace = command
            // 6. Joint limits, 7. velocity and acceleration.
            JointLimitClamp.apply(&command, q: q, arm: arm, events: &events)
            let previousSteps = previous.mode == .jointTargets ? previous.jointStepsRad : InlineArray<8, Double>(repeating: 0)
            RateLimits.apply(&command, q: q, previousSteps: previousSteps, arm: arm, velocityFraction: jointVelocityFraction,
                             accelerationFraction: jointAccelerationFraction, periodS: periodS, events: &events)
            // Stages 6 and 7 move joints separately, which can bend the path out of the box.
            if let box = arm.workspace, let kinematics = arm.kinematics, command != insideWorkspace {
                WorkspaceLimit.scaleBackJoints(&command, q: q, box: box, kinematics: kinematics, arm: arm.index,
                                               stage: .workspaceRecheck, events: &events)
            }
            for j in 0..<arm.jointCount { command.jointStepsRad[j] = command.jointTargetsRad[j] - q[j] }
        }

        guard command.isFinite else {
            events.record(SafetyEvent(kind: .nonFiniteAction, stage: .outputGuard, arm: arm.index, element: -1, requested: .nan, applied: 0))
            return .hold(jointCount: arm.jointCount)
        }
        return command
    }

    /// Sets the e-stop latch from the events and the NaN policy.
    private func finished(_ output: SafetyOutput, nonFiniteLatches: Bool) -> SafetyOutput {
        var output = output
        let fatalSeen = output.events.kindMask & fatalEventMask
        output.latchesEStop = nonFiniteLatches || fatalSeen != 0
        if nonFiniteLatches {
            output.fatalEvent = .nonFiniteAction
        } else if fatalSeen != 0 {
            // The first fatal event kept; with all of them overflowed, the lowest-ordinal kind.
            for i in 0..<output.events.count where fatalEventMask & output.events[i].kind.bit != 0 {
                output.fatalEvent = output.events[i].kind
                break
            }
            if output.fatalEvent == nil { output.fatalEvent = SafetyEventKind(ordinal: fatalSeen.trailingZeroBitCount) }
        }
        return output
    }
}
