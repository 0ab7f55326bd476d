import PLDCore
import Safety
import Testing

/// Stage 1 and the stale-state hold: nothing unusable ever reaches an arm.
@Suite struct NonFiniteActionTests {
    /// Franka ee_delta (7 elements) then a YAM (7 elements).
    let config: RobotConfig
    let chain: SafetyChain
    let states: [ArmState]

    init() throws {
        config = try makeConfig([.frankaEE(), .yam(name: "left")])
        chain = try SafetyChain(config: config)
        states = [armState([0, -0.7, 0, -2.3, 0, 1.5, 0.7], ee: SIMD3(0.5, 0, 0.3), link: .franka),
                  armState([0, 1, 1, 0, 0, 0])]
    }

    @Test func nanActionHoldsEveryArmAndIsRecorded() {
        // A NaN in the YAM's third joint target; the Franka's part is finite and still must not move.
        let out = chain.apply(action(14, [0: 0.5, 7: 0.1, 9: .nan]), states: states, previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].mode == .hold)
        #expect(out.commands[1].mode == .hold)
        #expect(out.commands[0].gripper == nil && out.commands[1].gripper == nil)
        #expect(out.nonFiniteAction == .hold)
        #expect(!out.latchesEStop)
        #expect(out.events.count == 1)
        let event = out.events[0]
        #expect(event.kind == .nonFiniteAction && event.stage == .nonFiniteRejection)
        #expect(event.arm == 1 && event.element == 2)
        #expect(event.requested.isNaN && event.applied == 0)
        #expect(out.events.count(of: .nonFiniteAction) == 1)
    }

    @Test(arguments: [Double.infinity, -Double.infinity])
    func infiniteActionIsRejectedLikeNaN(_ value: Double) {
        let out = chain.apply(action(14, [3: value]), states: states, previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].mode == .hold && out.commands[1].mode == .hold)
        #expect(out.events.count == 1)
        #expect(out.events[0].kind == .nonFiniteAction)
        #expect(out.events[0].arm == 0 && out.events[0].element == 3 && out.events[0].requested == value)
    }

    @Test func nanUnderTheEStopPolicyLatchesTheEStop() throws {
        let config = try makeConfig([.frankaEE(), .yam(name: "left")], safety: "  nan_policy: estop")
        let chain = try SafetyChain(config: config)
        let out = chain.apply(action(14, [13: .nan]), states: states, previous: chain.holding, periodS: 0.05)
        #expect(out.anyArmHolds)
        #expect(out.nonFiniteAction == .estop)
        #expect(out.latchesEStop && out.fatalEvent == .nonFiniteAction)
    }

    @Test func finiteActionMovesAndRecordsNothing() {
        // YAM targets are absolute: its current q with joint 1 moved by 0.01 rad.
        let out = chain.apply(action(14, [0: 0.1, 7: 0.01, 8: 1, 9: 1]), states: states, previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].mode == .endEffectorDelta && out.commands[1].mode == .jointTargets)
        #expect(out.events.isEmpty && out.nonFiniteAction == nil && !out.latchesEStop)
    }

    @Test func actionOfTheWrongWidthHoldsEveryArm() {
        let out = chain.apply(action(13), states: states, previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].mode == .hold && out.commands[1].mode == .hold)
        #expect(out.events.count == 1)
        #expect(out.events[0].kind == .nonFiniteAction && out.events[0].element == -1 && out.events[0].requested == 13)
    }

    @Test func staleStateHoldsThatArmOnlyAndLatchesByDefault() {
        var stale = states
        stale[1].isStale = true
        stale[1].messageAgeNanos = 250_000_000
        let out = chain.apply(action(14, [0: 0.1]), states: stale, previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].mode == .endEffectorDelta)
        #expect(out.commands[1].mode == .hold)
        #expect(out.events.count == 1)
        let event = out.events[0]
        #expect(event.kind == .stateStale && event.stage == .stateStale && event.arm == 1 && event.element == -1)
        #expect(abs(event.requested - 0.25) < 1e-12)
        // `state_stale` is in the default `fatal_events`.
        #expect(out.latchesEStop && out.fatalEvent == .stateStale)
    }

    @Test func missingOrNonFiniteStateHolds() {
        var noState = states
        noState[0].hasState = false
        #expect(chain.apply(action(14), states: noState, previous: chain.holding, periodS: 0.05).commands[0].mode == .hold)
        var nanJoint = states
        nanJoint[1].q[4] = .nan
        let out = chain.apply(action(14), states: nanJoint, previous: chain.holding, periodS: 0.05)
        #expect(out.commands[1].mode == .hold && out.events.count(of: .stateStale) == 1)
        var nanPose = states
        nanPose[0].eePose[13] = .infinity
        #expect(chain.apply(action(14), states: nanPose, previous: chain.holding, periodS: 0.05).commands[0].mode == .hold)
    }
}
