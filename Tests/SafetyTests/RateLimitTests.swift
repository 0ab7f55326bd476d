import PLDCore
import Safety
import Testing

/// Stage 7: velocity and acceleration fractions of the hardware limits, over ticks.
@Suite struct RateLimitTests {
    /// 2 rad/s and 10 rad/s² at fraction 0.5, 20 Hz: at most 0.05 rad per tick, and the step
    /// changes by at most 0.0125 rad from one tick to the next. Step cap 0.5 rad (not binding).
    let chain: SafetyChain
    static let maxStep = 0.5 * 2 * 0.05
    static let maxStepChange = 0.5 * 10 * 0.05 * 0.05

    init() throws {
        let arm = TestArm.joints("arm", count: 2, lower: -3, upper: 3, velocity: 2, acceleration: 10)
        chain = try SafetyChain(config: try makeConfig([arm], safety: """
              max_step:
                joint_rad: 0.5
              joint_velocity_fraction: 0.5
              joint_acceleration_fraction: 0.5
            """))
    }

    /// Runs `ticks` ticks toward `target` for joint 1 with perfect tracking (the arm reaches
    /// each command before the next tick). Returns the outputs and the positions reached.
    func run(from start: Double, toward target: Double, ticks: Int, previous: SafetyOutput? = nil) -> (outputs: [SafetyOutput], q: [Double]) {
        var q = start
        var last = previous ?? chain.holding
        var outputs: [SafetyOutput] = []
        var positions: [Double] = []
        for _ in 0..<ticks {
            last = chain.apply(action(3, [0: target]), states: [armState([q, 0])], previous: last, periodS: 0.05)
            outputs.append(last)
            q = last.commands[0].jointTargetsRad[0]
            positions.append(q)
        }
        return (outputs, positions)
    }

    @Test func speedRampsUpAtTheAccelerationLimitThenCruisesAtTheVelocityLimit() {
        // 0.4 rad away: under the step cap, so only the rate limits act.
        let (outputs, q) = run(from: 0, toward: 0.4, ticks: 30)
        let steps = outputs.map { $0.commands[0].jointStepsRad[0] }
        let expected = [0.0125, 0.025, 0.0375, 0.05, 0.05]
        for i in expected.indices { #expect(abs(steps[i] - expected[i]) < 1e-12, "tick \(i)") }
        var previousStep = 0.0
        for (i, step) in steps.enumerated() {
            #expect(abs(step) <= Self.maxStep + 1e-12, "tick \(i) velocity")
            if abs(step) > abs(previousStep) { #expect(step - previousStep <= Self.maxStepChange + 1e-12, "tick \(i) acceleration") }
            previousStep = step
        }
        #expect(abs(q.last! - 0.4) < 1e-12, "arrives")
        // Events: ticks 0–2 velocity- and acceleration-limited, then velocity only.
        #expect(outputs[0].events.array.map(\.kind) == [.velocityLimited, .accelerationLimited])
        #expect(outputs[2].events.array.map(\.kind) == [.velocityLimited, .accelerationLimited])
        #expect(outputs[3].events.array.map(\.kind) == [.velocityLimited])
        let first = outputs[0].events.array
        #expect(first[0].stage == .velocity && first[0].element == 0 && first[0].requested == 0.4 && abs(first[0].applied - 0.05) < 1e-12)
        #expect(first[1].stage == .acceleration && abs(first[1].requested - 0.05) < 1e-12 && abs(first[1].applied - 0.0125) < 1e-12)
        // Joint 2 was asked to stay and raised nothing.
        #expect(outputs.allSatisfy { $0.events.array.allSatisfy { $0.element == 0 } })
    }

    @Test func reversalPassesThroughStandstill() {
        let forward = run(from: 0, toward: 0.4, ticks: 6)
        // Cruising at +0.05 rad per tick, now asked to go back to 0.
        let back = run(from: forward.q.last!, toward: 0, ticks: 3, previous: forward.outputs.last!)
        let steps = back.outputs.map { $0.commands[0].jointStepsRad[0] }
        #expect(steps[0] == 0)
        #expect(abs(steps[1] - -0.0125) < 1e-12 && abs(steps[2] - -0.025) < 1e-12)
        #expect(back.outputs[0].events.count(of: .accelerationLimited) == 1)
    }

    @Test func stoppingIsNeverDelayed() {
        let forward = run(from: 0, toward: 0.4, ticks: 6)
        // Asked to stay where it is: the step drops to 0 at once (the driver smooths the stop).
        let stop = chain.apply(action(3, [0: forward.q.last!]), states: [armState([forward.q.last!, 0])],
                               previous: forward.outputs.last!, periodS: 0.05)
        #expect(stop.commands[0].jointStepsRad[0] == 0)
        #expect(stop.events.isEmpty)
    }

    @Test func aHoldResetsTheRampFromStandstill() {
        let forward = run(from: 0, toward: 0.4, ticks: 6)
        let afterHold = run(from: forward.q.last!, toward: 0.4, ticks: 1, previous: chain.holding)
        #expect(abs(afterHold.outputs[0].commands[0].jointStepsRad[0] - 0.0125) < 1e-12)
    }

    @Test func longerPeriodAllowsProportionallyLargerSteps() {
        let out = chain.apply(action(3, [0: 0.4]), states: [armState([0, 0])], previous: chain.holding, periodS: 0.1)
        // 0.5 · 10 rad/s² · (0.1 s)² = 0.05 rad from standstill.
        #expect(abs(out.commands[0].jointStepsRad[0] - 0.05) < 1e-12)
    }
}
