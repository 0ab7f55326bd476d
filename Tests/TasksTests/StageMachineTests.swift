import PLDCore
import Tasks
import Testing

/// Drives a `StageMachine` tick by tick with scripted classifier scores.
final class StageDriver {
    let machine: StageMachine
    let scores: UnsafeMutableBufferPointer<Double>
    /// Gates that hold (by `GateKind` + arm); everything else fails.
    var gatesHolding: (GateCondition) -> Bool = { _ in true }
    var requireHolds: (ClassifierRule) -> Bool = { _ in true }
    private(set) var events: [StageMachine.Event] = []

    init(_ stages: [StageMachine.Stage], classifiers: Int = 3) {
        machine = StageMachine(stages: stages)
        scores = .allocate(capacity: classifiers)
        scores.initialize(repeating: 0)
    }

    deinit { scores.deallocate() }

    @discardableResult
    func begin() -> StageMachine.Event {
        let event = machine.beginEpisode(gates: gatesHolding)
        events.append(event)
        return event
    }

    /// One tick with these scores; returns the event.
    @discardableResult
    func tick(_ values: [Double]) -> StageMachine.Event {
        for (i, v) in values.enumerated() { scores[i] = v }
        let event = machine.update(scores: scores, require: requireHolds, gates: gatesHolding)
        if event != .none { events.append(event) }
        return event
    }

    /// Ticks with the same scores until an event other than `.none`, at most `limit` ticks;
    /// returns the event and the ticks it took.
    func run(_ values: [Double], limit: Int = 10_000) -> (StageMachine.Event, Int) {
        for n in 1...limit {
            let event = tick(values)
            if event != .none { return (event, n) }
        }
        return (.none, limit)
    }
}

typealias Stage = StageMachine.Stage
typealias Trigger = StageMachine.Trigger

@Suite struct StageMachineTests {
    /// insert → move → return: each stage's success classifier is its index.
    func threeStages(retries: Int = 0, onTimeout: StageMachine.Target = .fail) -> [Stage] {
        [
            Stage(name: "insert", promptIndex: 1, success: Trigger(classifier: 0, debounceTicks: 3),
                  failure: Trigger(classifier: 2, threshold: 0.5, debounceTicks: 1), timeoutTicks: 50, retries: retries,
                  onSuccess: .stage(1), onTimeout: onTimeout),
            Stage(name: "move", promptIndex: 2, success: Trigger(classifier: 1, debounceTicks: 2), timeoutTicks: 40, onSuccess: .stage(2)),
            Stage(name: "return", promptIndex: 3, success: Trigger(classifier: 0, threshold: 0.9), timeoutTicks: 30, onSuccess: .succeed),
        ]
    }

    @Test func successesWalkTheStagesInOrderAndEndTheEpisode() {
        let d = StageDriver(threeStages())
        #expect(d.begin() == .entered(stage: 0, attempt: 1))
        #expect(d.run([1, 0, 0]) == (.entered(stage: 1, attempt: 1), 3))  // debounce 3
        #expect(d.run([0, 1, 0]) == (.entered(stage: 2, attempt: 1), 2))
        #expect(d.run([0.95, 0, 0]) == (.ended(.success), 1))
        #expect(d.machine.phase == .ended)
        #expect(d.machine.stats(0) == stats(attempts: 1, successes: 1, ticks: 3))
        #expect(d.machine.stats(2).successes == 1)
        // Ended: further ticks do nothing.
        #expect(d.tick([1, 1, 1]) == .none)
    }

    @Test func debounceNeedsConsecutiveTicksAndUnknownBreaksTheRun() {
        let d = StageDriver(threeStages())
        d.begin()
        for scores in [[1.0, 0, 0], [1, 0, 0], [0.5, 0, 0], [1, 0, 0], [1, 0, 0], [.nan, 0, 0], [1, 0, 0], [1, 0, 0]] {
            #expect(d.tick(scores) == .none, "\(scores)")
        }
        #expect(d.tick([0.75, 0, 0]) == .entered(stage: 1, attempt: 1))  // 3 in a row, at the threshold
    }

    /// HIL-SERL latching: once a stage's success latched the task moves on; a score that
    /// flickers afterwards (the part briefly occluded) does not undo it.
    @Test func aFlickeringScoreDoesNotUnlatchACompletedStage() {
        let d = StageDriver(threeStages())
        d.begin()
        for _ in 0..<3 { d.tick([1, 0, 0]) }
        #expect(d.machine.current == 1)
        for v in [0.0, 1, 0, 1, 0] { #expect(d.tick([v, 0, 0]) == .none) }
        #expect(d.machine.current == 1 && d.machine.stats(0).successes == 1 && d.machine.stats(1).attempts == 1)
    }

    @Test func theFailureClassifierWinsOverSuccessOnTheSameTick() {
        let d = StageDriver(threeStages())
        d.begin()
        d.tick([1, 0, 0])
        d.tick([1, 0, 0])
        #expect(d.tick([1, 0, 0.9]) == .ended(.failure(stage: 0, cause: .failure)))
        #expect(d.machine.stats(0).failures == 1 && d.machine.stats(0).successes == 0)
    }

    @Test func aTimeoutTakesTheTimeoutTransitionAfterExactlyTheStageTime() {
        let d = StageDriver(threeStages())
        d.begin()
        #expect(d.run([0.2, 0, 0]) == (.ended(.failure(stage: 0, cause: .timeout)), 50))
        #expect(d.machine.stats(0).timeouts == 1 && d.machine.stats(0).ticks == 50)
    }

    @Test func retriesReenterTheStageUntilTheBudgetIsSpent() {
        let d = StageDriver(threeStages(retries: 2, onTimeout: .retry))
        d.begin()
        #expect(d.run([0, 0, 0]) == (.entered(stage: 0, attempt: 2), 50))
        #expect(d.run([0, 0, 0]) == (.entered(stage: 0, attempt: 3), 50))
        #expect(d.run([0, 0, 0]) == (.ended(.failure(stage: 0, cause: .timeout)), 50))
        #expect(d.machine.stats(0) == stats(attempts: 3, timeouts: 3, ticks: 150))
    }

    @Test func aRetryThatSucceedsMovesOnAndCountsBothAttempts() {
        let d = StageDriver(threeStages(retries: 1, onTimeout: .retry))
        d.begin()
        _ = d.run([0, 0, 0])
        #expect(d.run([1, 0, 0]) == (.entered(stage: 1, attempt: 1), 3))
        #expect(d.machine.stats(0) == stats(attempts: 2, successes: 1, timeouts: 1, ticks: 53))
    }

    @Test func aRetryWithARetryPoseApproachesFirst() {
        var stages = threeStages(retries: 1, onTimeout: .retry)
        stages[0].hasRetryPose = true
        let d = StageDriver(stages)
        d.begin()
        #expect(d.run([0, 0, 0]).0 == .approach(stage: 0))
        #expect(d.machine.phase == .approaching)
        #expect(d.tick([1, 1, 1]) == .none)  // nothing is scored while approaching
        #expect(d.machine.approachFinished(gates: { _ in true }) == .entered(stage: 0, attempt: 2))
    }

    @Test func restartRunsTheResetThenStartsAtTheFirstStageKeepingAttempts() {
        var stages = threeStages()
        stages[1].onTimeout = .restart
        let d = StageDriver(stages)
        d.begin()
        _ = d.run([1, 0, 0])
        #expect(d.run([0, 0, 0]) == (.restart, 40))
        #expect(d.machine.phase == .restarting)
        #expect(d.machine.restartFinished(gates: { _ in true }) == .entered(stage: 0, attempt: 2))
        #expect(d.machine.stats(1).timeouts == 1)
    }

    @Test func abortEndsTheEpisodeAsAborted() {
        var stages = threeStages()
        stages[1].onFailure = .abort
        stages[1].failure = Trigger(classifier: 2, threshold: 0.5)
        let d = StageDriver(stages)
        d.begin()
        _ = d.run([1, 0, 0])
        #expect(d.tick([0, 0, 1]) == .ended(.abort(stage: 1, cause: .failure)))
    }

    @Test func jumpingToANamedStageAndBack() {
        var stages = threeStages()
        stages[2].onTimeout = .stage(0)  // "return" timed out: go back and insert again
        let d = StageDriver(stages)
        d.begin()
        _ = d.run([1, 0, 0])
        _ = d.run([0, 1, 0])
        #expect(d.run([0, 0, 0]) == (.entered(stage: 0, attempt: 2), 30))
    }

    @Test func aGateThatDoesNotHoldFailsTheStageBeforeItStarts() {
        var stages = threeStages()
        stages[1].gates = [GateCondition(kind: .gripperHolding, arm: "left")]
        let d = StageDriver(stages)
        d.gatesHolding = { $0.kind != .gripperHolding }
        d.begin()
        #expect(d.run([1, 0, 0]) == (.ended(.failure(stage: 1, cause: .gate)), 3))
        #expect(d.machine.stats(1) == stats(attempts: 1, failures: 1))
    }

    @Test func gatesFailingAroundALoopEndTheEpisodeInsteadOfSpinning() {
        let stages = [
            Stage(name: "a", success: Trigger(classifier: 0), timeoutTicks: 5, onFailure: .stage(1), gates: [GateCondition(kind: .gripperOpen, arm: "x")]),
            Stage(name: "b", success: Trigger(classifier: 0), timeoutTicks: 5, onFailure: .stage(0), gates: [GateCondition(kind: .gripperOpen, arm: "x")]),
        ]
        let d = StageDriver(stages)
        d.gatesHolding = { _ in false }
        guard case .ended(.failure(_, .gate)) = d.begin() else {
            Issue.record("expected a gate failure, got \(d.events)")
            return
        }
    }

    @Test func theProprioceptiveRequirementMustHoldOnTheSameTicks() {
        let rule = ClassifierRule(source: .arm("left", .gripperPosition), op: .gt, value: 0.4)
        let stages = [Stage(name: "grasp", success: Trigger(classifier: 0, debounceTicks: 2, require: [rule]), timeoutTicks: 20)]
        let d = StageDriver(stages)
        var gripper = 0.1
        d.requireHolds = { $0.op.holds(gripper, $0.value) }
        d.begin()
        #expect(d.tick([1]) == .none)
        #expect(d.tick([1]) == .none)  // classifier sure, gripper open: no success
        gripper = 0.6
        #expect(d.tick([1]) == .none)
        #expect(d.tick([1]) == .ended(.success))
    }

    @Test func aScriptedStageSucceedsWhenItsMotionIsDone() {
        let stages = [
            Stage(name: "home", scripted: true, timeoutTicks: 100, onSuccess: .stage(1)),
            Stage(name: "grasp", success: Trigger(classifier: 0), timeoutTicks: 10),
        ]
        let d = StageDriver(stages)
        d.begin()
        #expect(d.tick([1]) == .none)
        d.machine.motionFinished()
        #expect(d.tick([0]) == .entered(stage: 1, attempt: 1))
    }

    @Test func aNewEpisodeClearsTheCounts() {
        let d = StageDriver(threeStages())
        d.begin()
        _ = d.run([0, 0, 0])
        #expect(d.machine.stats(0).timeouts == 1)
        #expect(d.begin() == .entered(stage: 0, attempt: 1))
        #expect(d.machine.stats(0) == stats(attempts: 1))
    }

    func stats(attempts: Int = 0, successes: Int = 0, failures: Int = 0, timeouts: Int = 0, ticks: Int = 0) -> StageStats {
        var s = StageStats()
        s.attempts = attempts
        s.successes = successes
        s.failures = failures
        s.timeouts = timeouts
        s.ticks = ticks
        return s
    }
}

/// The gates a stage or a reset checks, over a scripted context.
@Suite struct GateTests {
    struct Context: GateContext {
        var gripper: Double? = 0
        var commandedClosed = false
        var joints: [Double] = [0, 1, 1, 0, 0, 0]
        var scores: [String: Double] = [:]
        func armIndex(named name: String) -> Int? { name == "left" ? 0 : nil }
        func gripperPosition(arm: Int) -> Double? { gripper }
        func gripperCommandedClosed(arm: Int) -> Bool { commandedClosed }
        func jointPosition(arm: Int, joint: Int) -> Double? { joint < joints.count ? joints[joint] : nil }
        func classifierScore(named name: String) -> Double { scores[name] ?? .nan }
    }

    /// ENPIRE's lesson: an automatic reset must not run while the gripper holds something it
    /// should not. A gripper told to close that stopped half way is holding; `gripper_empty`
    /// refuses then.
    @Test func aResetGateRefusesWhileTheGripperHoldsSomething() {
        let gates = [GateCondition(kind: .gripperEmpty, arm: "left"), GateCondition(kind: .classifierBelow, classifier: "in_slot", threshold: 0.5)]
        var context = Context(gripper: 0.45, commandedClosed: true, scores: ["in_slot": 0.1])
        #expect(Gates.firstFailing(gates, in: context) == 0)
        context.gripper = 0.02
        context.commandedClosed = false
        #expect(Gates.firstFailing(gates, in: context) == nil)
        context.scores["in_slot"] = 0.8  // the part is still in the slot
        #expect(Gates.firstFailing(gates, in: context) == 1)
        context.scores["in_slot"] = .nan  // the classifier is down: refuse, do not guess
        #expect(Gates.firstFailing(gates, in: context) == 1)
        context.gripper = 1  // closed all the way on nothing: empty
        context.commandedClosed = true
        context.scores["in_slot"] = 0
        #expect(Gates.firstFailing(gates, in: context) == nil)
    }

    @Test func unknownArmsAndMissingStatesFail() {
        var context = Context()
        #expect(!Gates.holds(GateCondition(kind: .gripperOpen, arm: "right"), in: context))
        context.gripper = nil
        #expect(!Gates.holds(GateCondition(kind: .gripperOpen, arm: "left"), in: context))
        #expect(!Gates.holds(GateCondition(kind: .gripperEmpty, arm: "left"), in: context))
    }

    @Test func jointsNearUsesTheTolerance() {
        var context = Context()
        let gate = GateCondition(kind: .jointsNear, arm: "left", jointsRad: [0, 1, 1, 0, 0, 0], toleranceRad: 0.05)
        #expect(Gates.holds(gate, in: context))
        context.joints[2] = 1.06
        #expect(!Gates.holds(gate, in: context))
        context.joints = [0, 1]  // fewer joints than the gate names
        #expect(!Gates.holds(gate, in: context))
    }

    @Test func gripperStates() {
        let open = GateCondition(kind: .gripperOpen, arm: "left"), closed = GateCondition(kind: .gripperClosed, arm: "left")
        let holding = GateCondition(kind: .gripperHolding, arm: "left")
        let cases: [(Double, Bool, [Bool])] = [
            (0.02, false, [true, false, false]), (0.5, true, [false, false, true]), (0.95, true, [false, true, false]),
            (0.5, false, [false, false, false]),  // part-way but not told to close: moving, not holding
        ]
        for (position, commanded, expected) in cases {
            let context = Context(gripper: position, commandedClosed: commanded)
            #expect([open, closed, holding].map { Gates.holds($0, in: context) } == expected, "\(position) \(commanded)")
        }
    }
}
