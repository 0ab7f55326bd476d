import PLDCore
import Safety
import Testing

/// Event buffer bookkeeping, fatal events, and routing of a bimanual action vector.
@Suite struct EventAndRoutingTests {
    @Test func bufferKeepsTheFirstEventsAndCountsTheRest() {
        var buffer = SafetyEventBuffer()
        for i in 0..<(SafetyEventBuffer.capacity + 6) {
            buffer.record(SafetyEvent(kind: i.isMultiple(of: 2) ? .stepCapped : .velocityLimited, stage: .stepCap,
                                      arm: 0, element: i, requested: Double(i), applied: 0))
        }
        #expect(buffer.count == SafetyEventBuffer.capacity)
        #expect(buffer.overflowCount == 6)
        #expect(buffer.totalCount == SafetyEventBuffer.capacity + 6)
        #expect(buffer.count(of: .stepCapped) == 35 && buffer.count(of: .velocityLimited) == 35)
        #expect(buffer.array.map(\.element) == Array(0..<SafetyEventBuffer.capacity))
    }

    /// Four 7-joint arms all asked to jump 1 rad: step cap, velocity and acceleration on every
    /// joint is 84 events, more than the buffer holds.
    @Test func eventsBeyondCapacityInOneTickAreCountedAsOverflow() throws {
        let arms = ["a", "b", "c", "d"].map { TestArm.joints($0, count: 7, velocity: 1, acceleration: 5) }
        let chain = try SafetyChain(config: try makeConfig(arms, safety: "  fatal_events: [acceleration_limited]"))
        let states = arms.map { _ in armState(Array(repeating: 0, count: 7)) }
        var a = ActionVector(count: chain.actionDimension)
        for arm in chain.arms { for j in 0..<7 { a[arm.segmentOffset + j] = 1.0 } }
        let out = chain.apply(a, states: states, previous: chain.holding, periodS: 0.05)
        #expect(out.events.count == SafetyEventBuffer.capacity)
        #expect(out.events.overflowCount == 84 - SafetyEventBuffer.capacity)
        #expect(out.events.count(of: .stepCapped) == 28)
        #expect(out.events.count(of: .velocityLimited) == 28)
        #expect(out.events.count(of: .accelerationLimited) == 28)
        #expect(out.latchesEStop && out.fatalEvent == .accelerationLimited)
        // Overflow never loosens the limits: every joint still moved by the ramp's first step.
        for arm in 0..<4 { #expect(out.commands[arm].jointTargets.allSatisfy { abs($0 - 0.5 * 5 * 0.0025) < 1e-12 }) }
    }

    @Test func fatalEventsLatchTheEStopAndOthersDoNot() throws {
        let arm = TestArm.joints("arm", count: 1)
        let fatal = try SafetyChain(config: try makeConfig([arm], safety: "  fatal_events: [joint_limit_clamped, step_capped]"))
        let capped = fatal.apply(action(2, [0: 1]), states: [armState([0])], previous: fatal.holding, periodS: 0.05)
        #expect(capped.latchesEStop && capped.fatalEvent == .stepCapped)
        let calm = fatal.apply(action(2, [0: 0.001]), states: [armState([0])], previous: fatal.holding, periodS: 0.05)
        #expect(!calm.latchesEStop && calm.fatalEvent == nil)
        let lenient = try SafetyChain(config: try makeConfig([arm], safety: "  fatal_events: []"))
        var stale = armState([0])
        stale.isStale = true
        let out = lenient.apply(action(2), states: [stale], previous: lenient.holding, periodS: 0.05)
        #expect(out.commands[0].mode == .hold && !out.latchesEStop)
    }

    /// Arms listed [left, right], segments listed [right, left]: the first 7 action elements
    /// belong to `right`, and commands come back in arm order.
    @Test func bimanualSegmentsRouteToTheirArms() throws {
        let config = try makeConfig([.yam(name: "left"), .yam(name: "right")], segmentOrder: ["right", "left"])
        let chain = try SafetyChain(config: config)
        #expect(chain.arms.map(\.name) == ["left", "right"])
        #expect(chain.arms[0].segmentOffset == 7 && chain.arms[1].segmentOffset == 0)
        #expect(chain.actionDimension == 14)
        let left = [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
        let right = [0.1, 1.2, 0.9, -0.2, 0.3, 0.4]
        var a = ActionVector(count: 14)
        for j in 0..<6 {
            a[j] = right[j] + 0.001
            a[7 + j] = left[j] - 0.002
        }
        a[6] = 1.0  // right gripper closed
        a[13] = 0.2  // left gripper
        let out = chain.apply(a, states: [armState(left), armState(right)], previous: chain.holding, periodS: 0.05)
        #expect(out.events.isEmpty)
        for j in 0..<6 {
            #expect(abs(out.commands[0].jointTargetsRad[j] - (left[j] - 0.002)) < 1e-12)
            #expect(abs(out.commands[1].jointTargetsRad[j] - (right[j] + 0.001)) < 1e-12)
        }
        #expect(out.commands[0].gripper == 0.2 && out.commands[1].gripper == 1.0)

        // An intervention on the right arm's joint 4 (segment element 3) names arm 1, element 3.
        a[3] = right[3] + 0.3
        let capped = chain.apply(a, states: [armState(left), armState(right)], previous: chain.holding, periodS: 0.05)
        #expect(capped.events[0].arm == 1 && capped.events[0].element == 3 && capped.events[0].kind == .stepCapped)
        #expect(abs(capped.commands[0].jointTargetsRad[3] - (left[3] - 0.002)) < 1e-12, "left arm untouched")
    }

    @Test func mixedRigRoutesEEAndJointSegments() throws {
        let chain = try SafetyChain(config: try makeConfig([.frankaEE(), .yam(name: "yam")]))
        let yamQ = [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
        var a = action(14, [0: 0.1, 5: -0.02, 6: 0.7, 13: 0.3])
        for j in 0..<6 { a[7 + j] = yamQ[j] }
        let out = chain.apply(a, states: [armState(Array(repeating: 0, count: 7), ee: SIMD3(0.5, 0, 0.3), link: .franka), armState(yamQ)],
                              previous: chain.holding, periodS: 0.05)
        #expect(out.commands[0].mode == .endEffectorDelta && out.commands[1].mode == .jointTargets)
        #expect(length(out.commands[0].translationM - SIMD3(0.005, 0, 0)) < 1e-15)
        #expect(out.commands[0].rotationRad == SIMD3(0, 0, -0.02))
        #expect(out.commands[0].gripper == 0.7 && out.commands[1].gripper == 0.3)
        #expect(out.commands[1].jointTargets == yamQ)
    }

    @Test func setupErrorsNameTheArm() throws {
        let config = try makeConfig([.yam(name: "left")])
        #expect(throws: SafetySetupError(arm: "ghost", "forward kinematics given for an arm the configuration does not have")) {
            _ = try SafetyChain(config: config, kinematics: ["ghost": TwoLinkArm.kinematics])
        }
        let franka = try makeConfig([.frankaEE()])
        var safety = franka.safety
        safety.workspaces = []
        #expect(throws: SafetySetupError(arm: "franka", "moves in ee_delta but has no workspace box")) {
            _ = try SafetyChain(arms: franka.arms, actionSpace: franka.actionSpace, safety: safety)
        }
        #expect(SafetySetupError(arm: "franka", "x").description == "safety: arm `franka`: x")
    }
}
