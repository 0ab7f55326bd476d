import PLDCore
import Safety
import Testing
import TestSupport

/// Whatever the policy and the arms report, what leaves the chain respects every limit.
@Suite struct SafetyPropertyTests {
    static let eeBox = (min: SIMD3(0.3, -0.3, 0.05), max: SIMD3(0.8, 0.3, 0.6))
    static let planarBox = (min: SIMD3(0.2, -0.3, -0.1), max: SIMD3(0.8, 0.3, 0.1))
    static let caps = (translation: 0.02, rotation: 0.1, joint: 0.1)
    static let periodS = 0.05

    /// A Franka in ee_delta, the planar two-link arm with a box (FK-checked), and a YAM.
    static func chain() throws -> SafetyChain {
        let arms = [
            TestArm.frankaEE(workspace: ([0.3, -0.3, 0.05], [0.8, 0.3, 0.6])),
            TestArm.joints("planar", count: 2, lower: -1.5, upper: 1.5, velocity: 2, acceleration: 10,
                           workspace: ([0.2, -0.3, -0.1], [0.8, 0.3, 0.1])),
            TestArm.yam(name: "yam", segmentYAML: "      gripper:\n        convention: negative_open_positive_closed"),
        ]
        let config = try makeConfig(arms, safety: """
              max_step:
                translation_m: \(caps.translation)
                rotation_rad: \(caps.rotation)
                joint_rad: \(caps.joint)
              joint_limits:
                margin_rad: 0.05
              joint_velocity_fraction: 0.5
              joint_acceleration_fraction: 0.5
            """)
        return try SafetyChain(config: config, kinematics: ["planar": TwoLinkArm.kinematics])
    }

    static func distanceOutside(_ box: (min: SIMD3<Double>, max: SIMD3<Double>), _ p: SIMD3<Double>) -> Double {
        length(p - p.clamped(lowerBound: box.min, upperBound: box.max))
    }

    /// Mostly ordinary values, sometimes far outside any range.
    static func value(around centre: Double, _ rng: inout SeededRandom) -> Double {
        switch Int.random(in: 0..<20, using: &rng) {
        case 0: return Double.random(in: -1e6...1e6, using: &rng)
        case 1: return centre + Double.random(in: -10...10, using: &rng)
        case 2: return [0, 1, -1, centre].randomElement(using: &rng)!
        default: return centre + Double.random(in: -0.4...0.4, using: &rng)
        }
    }

    @Test func randomActionsAndStatesNeverProduceACommandOutsideTheLimits() throws {
        let chain = try Self.chain()
        let (franka, planar) = (chain.arms[0], chain.arms[1])
        var rng = SeededRandom(seed: 0x5AFE_C4A1)
        var previous = chain.holding
        var states = [armState(Array(repeating: 0, count: 7), ee: SIMD3(0.5, 0, 0.3), link: .franka),
                      armState([0, 1]), armState([0, 1, 1, 0, 0, 0])]
        var kindsSeen: [SafetyEventKind: Int] = [:]
        var stagesSeen: [SafetyStage: Int] = [:]
        var moved = 0
        let eps = 1e-9

        for tick in 0..<10_000 {
            // States: usually the arm reached the last command; sometimes anywhere, or stale.
            for arm in chain.arms {
                let last = previous.commands[arm.index]
                var state = states[arm.index]
                if arm.kind == .jointPosition {
                    let follow = last.mode == .jointTargets && Int.random(in: 0..<10, using: &rng) < 8
                    for j in 0..<arm.jointCount {
                        let low = arm.lowerBoundRad[j] - 0.15, high = arm.upperBoundRad[j] + 0.15
                        state.q[j] = follow ? last.jointTargetsRad[j] : Double.random(in: low...high, using: &rng)
                    }
                } else {
                    let p = SIMD3(Double.random(in: 0.2...0.9, using: &rng), Double.random(in: -0.4...0.4, using: &rng),
                                  Double.random(in: -0.05...0.7, using: &rng))
                    state.eePose = Pose(translation: p, rotation: .identity).columnMajor
                }
                state.isStale = Int.random(in: 0..<50, using: &rng) == 0
                states[arm.index] = state
            }
            // Action: ordinary, huge, and now and then NaN or ±∞ somewhere.
            var a = ActionVector(count: chain.actionDimension)
            for arm in chain.arms {
                for e in 0..<arm.segmentWidth {
                    let isJoint = arm.kind == .jointPosition && e < arm.jointCount
                    a[arm.segmentOffset + e] = Self.value(around: isJoint ? states[arm.index].q[e] : 0, &rng)
                }
            }
            if Int.random(in: 0..<20, using: &rng) == 0 {
                a[Int.random(in: 0..<a.count, using: &rng)] = [Double.nan, .infinity, -.infinity].randomElement(using: &rng)!
            }

            let out = chain.apply(a, states: states, previous: previous, periodS: Self.periodS)
            for i in 0..<out.events.count {
                kindsSeen[out.events[i].kind, default: 0] += 1
                stagesSeen[out.events[i].stage, default: 0] += 1
            }
            #expect(out.events.overflowCount == 0)

            if !a.isFinite {
                #expect((0..<3).allSatisfy { out.commands[$0].mode == .hold }, "tick \(tick): non-finite action moved an arm")
                #expect(out.events.count(of: .nonFiniteAction) == 1)
                previous = out
                continue
            }
            for arm in chain.arms {
                let command = out.commands[arm.index]
                let state = states[arm.index]
                #expect((command.mode == .hold) == state.isStale, "tick \(tick) arm \(arm.name): holds exactly when stale")
                guard command.mode != .hold else { continue }
                moved += 1
                #expect(command.isFinite)
                if let g = command.gripper { #expect(g >= 0 && g <= 1) }

                if arm.index == franka.index {
                    let measured = SIMD3(state.eePose[12], state.eePose[13], state.eePose[14])
                    #expect(length(command.translationM) <= Self.caps.translation + eps, "tick \(tick): translation cap")
                    #expect(length(command.rotationRad) <= Self.caps.rotation + eps, "tick \(tick): rotation cap")
                    let target = measured + command.translationM
                    if Self.distanceOutside(Self.eeBox, measured) == 0 {
                        #expect(Self.distanceOutside(Self.eeBox, target) <= eps, "tick \(tick): ee target left the box")
                    } else {
                        #expect(Self.distanceOutside(Self.eeBox, target) <= Self.distanceOutside(Self.eeBox, measured) + eps)
                    }
                    continue
                }
                let previousCommand = previous.commands[arm.index]
                for j in 0..<arm.jointCount {
                    let q = state.q[j], target = command.jointTargetsRad[j], step = target - q
                    #expect(abs(step) <= Self.caps.joint + eps, "tick \(tick) \(arm.name) j\(j): step cap")
                    #expect(abs(step) <= 0.5 * arm.velocityLimitRadPerS[j] * Self.periodS + eps, "tick \(tick) \(arm.name) j\(j): velocity")
                    let (low, high) = (arm.lowerBoundRad[j], arm.upperBoundRad[j])
                    if q >= low && q <= high {
                        #expect(target >= low - eps && target <= high + eps, "tick \(tick) \(arm.name) j\(j): joint limit")
                    } else {
                        let outside = { (x: Double) in max(low - x, x - high, 0) }
                        #expect(outside(target) <= outside(q) + eps, "tick \(tick) \(arm.name) j\(j): moved farther out")
                    }
                    let p = previousCommand.mode == .jointTargets ? previousCommand.jointStepsRad[j] : 0
                    let maxChange = 0.5 * arm.accelerationLimitRadPerS2[j] * Self.periodS * Self.periodS
                    let decelerating = step * p >= 0 && abs(step) <= abs(p) + eps
                    #expect(abs(step - p) <= maxChange + eps || decelerating, "tick \(tick) \(arm.name) j\(j): acceleration")
                    #expect(abs(command.jointStepsRad[j] - step) <= eps)
                }
                if arm.index == planar.index {
                    let now = TwoLinkArm.position(state.q[0], state.q[1])
                    let next = TwoLinkArm.position(command.jointTargetsRad[0], command.jointTargetsRad[1])
                    if Self.distanceOutside(Self.planarBox, now) == 0 {
                        #expect(Self.distanceOutside(Self.planarBox, next) <= eps, "tick \(tick): planar target left the box")
                    } else {
                        #expect(Self.distanceOutside(Self.planarBox, next) <= Self.distanceOutside(Self.planarBox, now) + eps)
                    }
                }
            }
            previous = out
        }
        // The run exercised every stage, so the checks above were not vacuous.
        for kind: SafetyEventKind in [.nonFiniteAction, .stateStale, .actionClamped, .stepCapped, .workspaceClamped,
                                      .jointLimitClamped, .velocityLimited, .accelerationLimited] {
            #expect(kindsSeen[kind, default: 0] > 0, "no \(kind) event in 10,000 ticks")
        }
        #expect(stagesSeen[.gripper, default: 0] > 0 && stagesSeen[.workspace, default: 0] > 0)
        #expect(moved > 15_000, "most arm-ticks moved (\(moved))")
        print("SafetyPropertyTests: \(moved) arm-ticks moved; stages \(stagesSeen.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key): \($0.value)" })")
    }
}
