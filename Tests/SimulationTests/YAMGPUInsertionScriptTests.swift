import Foundation
import MuJoCo
import PLDCore
@testable import Simulation
import TestSupport
import Testing

/// The yam-gpu-insertion scripted base policy against the scene's physics, in process: the
/// world, both arms' plants, the reset fixture and the policy built as `SimulationRunner` builds
/// them, stepped deterministically, with the policy's chunks played at 30 Hz the way the
/// runtime plays them (latency, `execute_steps`, refill threshold, newest chunk wins) and sent
/// to the plants as the PLD-arm driver does, through the safety chain's joint checks.
@Suite(.serialized) struct YAMGPUInsertionScriptTests {
    /// Stage time budgets, sim s (the shipped config's `timeout_s`).
    static let budgetsS: [YAMGPUInsertionStage: Double] = [.insertSlot1: 30, .moveToSlot3: 20, .insertSlot3: 30, .returnToTable: 30]

    /// One in-process cell.
    final class Cell {
        let config: RobotConfig
        let world: SimWorld
        let plants: [YAMPhysics]
        let task: YAMGPUInsertionTask
        let policy: YAMGPUInsertionPolicy
        let log: [String]
        private let lines = Locked<[String]>([])

        // The runtime's chunk schedule (the shipped config, `pld sim` defaults).
        let periodS = 1.0 / 30
        let chunkSteps: Int
        let executeSteps = 15
        let refillThresholdSteps = 5
        let latencyTicks = 3
        private(set) var tick = 0
        private var chunk: (observationTick: Int, rows: [[Double]])?
        private var requestTick: Int?
        var prompt: String?

        // The safety chain's joint checks (SafetyChain stages 4, 6, 7 for joint_position arms).
        let lowerRad: [[Double]], upperRad: [[Double]]
        let maxStepRad = 0.05
        let velocityStepRad: [[Double]]
        let accelerationStepRad: Double
        private var previousStep: [[Double]] = [[Double](repeating: 0, count: 6), [Double](repeating: 0, count: 6)]
        private(set) var clampedTicks = 0
        private(set) var worstExcessRad = 0.0
        private(set) var stallTicks = 0
        var traceClamps = ProcessInfo.processInfo.environment["YAM_TRACE_CLAMPS"] != nil

        init(seed: UInt64, chunkSteps: Int = 10, script: YAMGPUInsertionScript = YAMGPUInsertionScript()) throws {
            let config = try RobotConfig.load(
                path: PythonPeer.repositoryRoot.appendingPathComponent("RobotConfigs/yam_sim_gpu_insertion.yaml").path)
            self.config = config
            world = try SimWorld(model: try MJCFModel.yamGPUInsertion.load(), clock: SimClock())
            plants = [try YAMPhysics(world: world, prefix: "left_"), try YAMPhysics(world: world, prefix: "right_")]
            let collector = lines
            let log = SimLog { line in collector.withLock { $0.append(line) } }
            task = try YAMGPUInsertionTask(world: world, seed: seed, log: log)
            policy = try YAMGPUInsertionPolicy(
                task: task, script: script, jointLimits: config.arms.map { ($0.jointLimits.lowerRad, $0.jointLimits.upperRad) },
                latencyS: Double(latencyTicks) / 30, log: nil)
            self.chunkSteps = chunkSteps
            self.log = []
            let margin = config.safety.jointLimits.marginRad
            lowerRad = config.arms.map { $0.jointLimits.lowerRad.map { $0 + margin } }
            upperRad = config.arms.map { $0.jointLimits.upperRad.map { $0 - margin } }
            velocityStepRad = config.arms.map { $0.jointLimits.velocityRadPerS.map { $0 * config.safety.jointVelocityFraction / 30 } }
            accelerationStepRad = config.arms[0].jointLimits.accelerationRadPerS2[0] * config.safety.jointAccelerationFraction / 900
            // Settle: the plants hold the keyframe.
            world.step(count: 250)
        }

        var logLines: [String] { lines.withLock { $0 } }
        lazy var traceKinematics = try! YAMArmKinematics(model: world.model, prefix: "left_")

        /// One control tick: schedule chunks, send the tick's action, step physics 1/30 s.
        func step() {
            if let observed = requestTick, tick >= observed + latencyTicks {
                chunk = (observed, policy.chunk(prompt: prompt, steps: chunkSteps))
                requestTick = nil
            }
            var action: [Double]?
            var playableLeft = 0
            if let chunk {
                let index = tick - chunk.observationTick
                let window = min(executeSteps, chunk.rows.count)
                if index >= 0 && index < window {
                    action = chunk.rows[index]
                    playableLeft = window - index - 1
                }
            }
            if requestTick == nil && playableLeft <= refillThresholdSteps { requestTick = tick }
            let truth = task.groundTruth()
            if let action {
                send(action, measured: truth)
            } else {
                stallTicks += 1
                previousStep = [[Double](repeating: 0, count: 6), [Double](repeating: 0, count: 6)]
            }
            let dt = world.model.timestepSeconds
            let steps = Int((Double(tick + 1) * periodS / dt).rounded()) - Int((Double(tick) * periodS / dt).rounded())
            world.step(count: steps)
            tick += 1
        }

        /// The action through the chain's joint checks, then to the plants as the driver does.
        private func send(_ action: [Double], measured truth: YAMGPUInsertionTruth) {
            var clamped = false
            for arm in 0..<2 {
                var target = Array(action[(7 * arm)..<(7 * arm + 6)])
                for j in 0..<6 {
                    let q = truth.q[arm][j]
                    var value = min(max(target[j], q - maxStepRad), q + maxStepRad)
                    value = min(max(value, lowerRad[arm][j]), upperRad[arm][j])
                    let fast = min(max(value - q, -velocityStepRad[arm][j]), velocityStepRad[arm][j])
                    var smooth = min(max(fast, previousStep[arm][j] - accelerationStepRad), previousStep[arm][j] + accelerationStepRad)
                    smooth = min(max(smooth, min(0, fast)), max(0, fast))
                    value = q + smooth
                    if abs(value - target[j]) > 1e-9 {
                        if traceClamps && clampedTicks < 40 {
                            print(String(format: "  clamp tick %d arm %d joint %d  step %.4f prev %.4f -> %.4f", tick, arm, j, target[j] - q, previousStep[arm][j], value - q))
                        }
                        clamped = true
                        worstExcessRad = max(worstExcessRad, abs(value - target[j]))
                    }
                    target[j] = value
                    previousStep[arm][j] = value - q
                }
                plants[arm].setJointTarget(target, kp: [80, 80, 80, 10, 10, 10], kd: [5, 5, 5, 1.5, 1.5, 1.5])
                plants[arm].setGripperTarget(min(max(action[7 * arm + 6], 0), 1), speedPerSecond: 2, maxEffort: 5)
            }
            if clamped { clampedTicks += 1 }
        }
    }

    /// What happened in one stage.
    struct StageResult: CustomStringConvertible {
        var stage: YAMGPUInsertionStage
        var succeeded: Bool
        var fell: Bool
        var seconds: Double
        var lastPhase: String
        var description: String {
            "stage \(stage.rawValue) \(succeeded ? "ok" : fell ? "FELL" : "timeout") in \(String(format: "%.1f", seconds)) s (\(lastPhase))"
        }
    }

    /// Runs `stage` with its prompt until its success rule holds for its debounce ticks, the
    /// card falls, or the budget runs out.
    static func run(_ stage: YAMGPUInsertionStage, in cell: Cell, trace: Bool = false) -> StageResult {
        cell.prompt = stage.prompt
        let budgetTicks = Int(budgetsS[stage]! * 30)
        var streak = 0
        var lastPhase = ""
        for t in 0..<budgetTicks {
            cell.step()
            let truth = cell.task.groundTruth()
            let s = truth.taskState
            let held = s[3] > 0.5
            let success: Bool = switch stage {
            case .insertSlot1: s[0] >= 0.008
            case .moveToSlot3: s[2] < 0.01 && held
            case .insertSlot3: s[1] >= 0.008
            case .returnToTable: s[4] > 0.5 && !held
            }
            streak = success ? streak + 1 : 0
            if let phase = cell.policy.lastPhase?.phase.rawValue, phase != lastPhase || (trace && t % 30 == 0) {
                lastPhase = phase
                if trace {
                    let c = truth.card.position
                    let axes = (truth.cardLength, truth.cardHeight)
                    let kin = cell.traceKinematics
                    let inHand = truth.card.relative(to: kin.pose(truth.q[0]))
                    let rv = YAMArmKinematics.rotationVector(inHand.rotation)
                    print(String(format: "      in-hand L pos %.3f %.3f %.3f rot %.3f %.3f %.3f  gripper %.2f %.2f", inHand.position.x, inHand.position.y, inHand.position.z, rv.x, rv.y, rv.z, truth.gripper[0], truth.gripper[1]))
                    print(String(format: "  t %6.2f  %@  restarts %d card %.3f %.3f %.3f  length.z %.2f height.z %.2f state %@", Double(t) / 30, phase, cell.policy.restarts, c.x, c.y, c.z, axes.0.z, axes.1.z,
                                 s.map { String(format: "%.3f", $0) }.joined(separator: " ")))
                }
            }
            if streak >= (stage == .insertSlot1 ? 5 : 5) {
                return StageResult(stage: stage, succeeded: true, fell: false, seconds: Double(t + 1) / 30, lastPhase: lastPhase)
            }
            if s[5] > 0.5 {
                return StageResult(stage: stage, succeeded: false, fell: true, seconds: Double(t + 1) / 30, lastPhase: lastPhase)
            }
        }
        return StageResult(stage: stage, succeeded: false, fell: false, seconds: budgetsS[stage]!, lastPhase: lastPhase)
    }

    @Test func exploreOneEpisode() throws {
        var script = YAMGPUInsertionScript()
        let env = ProcessInfo.processInfo.environment
        if let h = env["YAM_H"]?.split(separator: ",").compactMap({ Double($0) }), h.count == 3 { script.handoverCardCentreM = SIMD3(h[0], h[1], h[2]) }
        if let r = env["YAM_ROLL"].flatMap(Double.init) { script.handoverRollRad = r }
        if let r = env["YAM_TILT"].flatMap(Double.init) { script.flatGraspTiltRad = r }
        let cell = try Cell(seed: UInt64(env["YAM_SEED"] ?? "1") ?? 1, script: script)
        let trace = ProcessInfo.processInfo.environment["YAM_TRACE"] != nil
        for stage in YAMGPUInsertionStage.allCases {
            let result = Self.run(stage, in: cell, trace: trace)
            print(result, "clamped ticks \(cell.clampedTicks), worst \(cell.worstExcessRad), stalls \(cell.stallTicks)")
            let truth = cell.task.groundTruth()
            let k = try YAMArmKinematics(model: cell.world.model, prefix: "right_")
            let site = k.pose(truth.q[1])
            let offset = truth.card.relative(to: site).position
            let tau = k.gravityTorques(truth.q[1], massKg: 0.2, offset: offset)
            print("right q", truth.q[1], "offset", offset, "droop", (0..<6).map { abs(tau[$0]) / [80.0, 80, 80, 10, 10, 10][$0] })
            print("site", site.position, "approach", site.rotation * SIMD3(0, 0, 1))
            if !result.succeeded { break }
        }
        print(cell.logLines.joined(separator: "\n"))
    }
}
