import Foundation
import MuJoCo

/// The yam-gpu-insertion scene's scripted base policy as the openpi server serves it: reads
/// the ground truth, takes the stage from the request's prompt (or infers it), asks
/// ``YAMGPUInsertionScript`` for each arm's goal and rolls ``YAMArmMotion`` forward into a chunk
/// of absolute joint targets in the config's 14-D action space: [left joints 6 rad, left
/// gripper 0 open … 1 closed, right joints 6, right gripper].
///
/// Timing: action i of a chunk is for the observation's tick + i (the runtime's
/// `ChunkScheduler`), and the server sleeps its latency before the handler runs. So the
/// handler, at sim time t, plans from t onward and fills the first `latency / period` actions
/// (already past when the reply lands; the scheduler drops them) from its previous plan. Each
/// chunk continues the previous plan where the arm is following it, so consecutive chunks join
/// without a jump in target position, velocity or acceleration; when the arm is not following
/// (a reset moved it, a stage started after a hold) the plan restarts from the measured joints
/// plus the PD lag their velocities imply.
///
/// Threading: requests are served one at a time on the policy server's handler thread; a lock
/// guards the plan memory anyway, so any thread may call ``chunk(prompt:steps:)``.
public final class YAMGPUInsertionPolicy: @unchecked Sendable {
    // @unchecked: the kinematics scratch data and the plan memory are touched only with `lock` held.
    private let lock = NSLock()
    private let task: YAMGPUInsertionTask
    private let kinematics: [YAMArmKinematics]
    public let script: YAMGPUInsertionScript
    let limits: YAMArmMotion.Limits
    /// The policy server's latency before the handler runs, sim s.
    public let latencyS: Double
    private let log: SimLog?
    /// The last plan: one point per arm every control period from its start time.
    private var planStartS = -Double.infinity
    private var plan: [[YAMArmPlanPoint]] = []
    private var lastReport: (YAMGPUInsertionStage, YAMGPUInsertionScript.Phase)?
    private var restartCount = 0
    /// The stage followed while requests name none (see ``stage(for:truth:)``).
    private var ownStage: YAMGPUInsertionStage?

    /// How far (rad) the measured joints may be from the plan's target at the same time and
    /// still count as following it: beyond the PD lag the limits allow (~0.045 rad).
    static let followingToleranceRad = 0.08
    /// A fresh start first holds (braking, if the arm moves) this many periods: slack for a
    /// round trip longer than the server's latency, whose first actions would otherwise land
    /// already accelerated on an arm standing still.
    static let restartHoldSteps = 3
    /// Steady PD lag per unit joint velocity, s ((kd + joint damping) / kp for the YAM gains).
    static let lagSeconds: [Double] = [0.069, 0.069, 0.069, 0.16, 0.16, 0.16]

    /// - Parameters:
    ///   - jointLimits: per arm (left, right), the robot config's joint position limits, rad;
    ///     plans stay 0.12 rad inside them (and inside the model's ranges).
    ///   - latencyS: the server's latency in sim seconds (`pld sim --policy-latency-ms`).
    ///   - log: where stage and phase changes are logged (one line each), or nil.
    public init(
        task: YAMGPUInsertionTask, script: YAMGPUInsertionScript = YAMGPUInsertionScript(),
        jointLimits: [(lowerRad: [Double], upperRad: [Double])]? = nil, latencyS: Double, log: SimLog? = nil
    ) throws(MuJoCoError) {
        self.task = task
        self.script = script
        self.latencyS = max(0, latencyS)
        self.log = log
        limits = YAMArmMotion.Limits()
        kinematics = [
            try YAMArmKinematics(model: task.model, prefix: "left_", lowerRad: jointLimits?[safe: 0]?.lowerRad, upperRad: jointLimits?[safe: 0]?.upperRad),
            try YAMArmKinematics(model: task.model, prefix: "right_", lowerRad: jointLimits?[safe: 1]?.lowerRad, upperRad: jointLimits?[safe: 1]?.upperRad),
        ]
    }

    /// The stage and phase the last chunk was planned for.
    public var lastPhase: (stage: YAMGPUInsertionStage, phase: YAMGPUInsertionScript.Phase)? {
        lock.withLock { lastReport.map { (stage: $0.0, phase: $0.1) } }
    }

    /// Chunks that started afresh from the measured joints instead of continuing the plan.
    public var restarts: Int { lock.withLock { restartCount } }

    /// A chunk of `steps` actions, each 14 values, for the stage named by `prompt` (nil or
    /// unknown: the policy's own stage, inferred from the ground truth and advanced on success).
    public func chunk(prompt: String?, steps: Int) -> [[Double]] {
        let truth = task.groundTruth()
        return lock.withLock { plan(truth: truth, prompt: prompt, steps: max(1, steps)) }
    }

    /// The stage for a request: the one its prompt names; otherwise the policy's own, inferred
    /// from the scene when it has none (or the card lies flat on the table again, a new
    /// episode) and moved on to the next stage as soon as its success rule holds — a stateless
    /// guess would flip between "insert into slot 1" and "pull it out" once the card comes out.
    private func stage(for prompt: String?, truth: YAMGPUInsertionTruth) -> YAMGPUInsertionStage {
        if let named = prompt.flatMap(YAMGPUInsertionStage.init(prompt:)) {
            ownStage = named
            return named
        }
        var stage = ownStage ?? YAMGPUInsertionStage(inferredFrom: truth)
        if stage != .insertSlot1 && truth.cardIsFlat && truth.onTable && !truth.holds.contains(true) {
            stage = YAMGPUInsertionStage(inferredFrom: truth)
        }
        while stage.isDone(in: truth), let next = YAMGPUInsertionStage(rawValue: stage.rawValue + 1) { stage = next }
        ownStage = stage
        return stage
    }

    private func plan(truth: YAMGPUInsertionTruth, prompt: String?, steps: Int) -> [[Double]] {
        let stage = stage(for: prompt, truth: truth)
        let sites = (0..<2).map { kinematics[$0].pose(truth.q[$0]) }
        var (goals, phase) = script.goals(for: stage, in: .init(truth: truth, sites: sites))
        if let log, lastReport.map({ $0 != (stage, phase) }) ?? true {
            log("yam script: stage \(stage.rawValue), \(phase.rawValue)")
        }
        lastReport = (stage, phase)

        let period = limits.periodS
        let now = truth.timeSeconds
        let past = min(steps, Int((latencyS / period).rounded()))
        var points: [YAMArmPlanPoint]
        var holdSteps = 0
        if let continued = continuation(at: now, truth: truth) {
            points = continued
        } else {
            points = estimate(truth)
            restartCount += 1
            holdSteps = Self.restartHoldSteps
        }
        var rows: [[Double]] = []
        rows.reserveCapacity(steps)
        for i in 0..<past {
            var old = planned(at: now - Double(past - i) * period) ?? points
            // The gripper follows the newest decision from the first row: a replayed row (or a
            // fresh start's estimate, which reads the fingers' measured state) would otherwise
            // re-close fingers just told to open, and grasp the card again after its release.
            for arm in 0..<2 { old[arm].gripper = goals[arm].gripper }
            rows.append(Self.row(old))
        }
        for arm in 0..<2 { goals[arm] = resolved(goals[arm], from: points[arm].q, kinematics: kinematics[arm]) }
        var newPlan: [[YAMArmPlanPoint]] = [points]
        let brake = [YAMArmGoal(target: .hold, gripper: goals[0].gripper), YAMArmGoal(target: .hold, gripper: goals[1].gripper)]
        for i in past..<steps {
            if i > past {
                let toward = i - past <= holdSteps ? brake : goals
                points = (0..<2).map { YAMArmMotion.advance(points[$0], toward: toward[$0], limits: limits, kinematics: kinematics[$0]) }
                newPlan.append(points)
            } else {
                for arm in 0..<2 { points[arm].gripper = goals[arm].gripper }
                newPlan[0] = points
            }
            rows.append(Self.row(points))
        }
        // Keep planning a little past the chunk so the next request, which may come after the
        // runtime played every action, still continues this plan.
        for _ in 0..<past + 2 {
            points = (0..<2).map { YAMArmMotion.advance(points[$0], toward: goals[$0], limits: limits, kinematics: kinematics[$0]) }
            newPlan.append(points)
        }
        plan = newPlan
        planStartS = now
        return rows
    }

    /// `goal` as the planner takes it: a posture becomes the joints of its IK solution; a pose
    /// the arm reaches carrying a payload is moved by the payload's droop (the driver's gravity
    /// compensation knows only the arm, so a joint settles τ / kp off its target: aim that
    /// much the other way, so the card, not the unloaded arm, ends up at the goal).
    private func resolved(_ goal: YAMArmGoal, from q: [Double], kinematics: YAMArmKinematics) -> YAMArmGoal {
        var goal = goal
        switch goal.target {
        case .posture(let pose, let seed):
            goal.target = .joints(kinematics.solve(pose, seed: seed ?? q, iterations: 200).q)
        case .pose(let pose):
            guard let payload = goal.payload else { break }
            let reach = kinematics.solve(pose, seed: q, iterations: 100).q
            let torques = kinematics.gravityTorques(reach, massKg: payload.massKg, offset: payload.offsetM)
            let aimed = (0..<6).map { reach[$0] - torques[$0] / limits.kp[$0] }
            goal.target = .pose(kinematics.pose(kinematics.clamped(aimed)))
        default:
            break
        }
        return goal
    }

    /// The previous plan's point at sim time `t` (nearest period), if it covers `t`.
    private func planned(at t: Double) -> [YAMArmPlanPoint]? {
        guard !plan.isEmpty, planStartS.isFinite else { return nil }
        let index = Int(((t - planStartS) / limits.periodS).rounded())
        return plan.indices.contains(index) ? plan[index] : nil
    }

    /// The previous plan at `now`, when the measured joints are following it.
    private func continuation(at now: Double, truth: YAMGPUInsertionTruth) -> [YAMArmPlanPoint]? {
        guard let points = planned(at: now) else { return nil }
        for arm in 0..<2 {
            for j in 0..<6 where abs(points[arm].q[j] - truth.q[arm][j]) > Self.followingToleranceRad { return nil }
        }
        return points
    }

    /// A fresh start: the target the arm is presumably tracking (measured joints plus the PD
    /// lag of their velocities), moving as they move.
    private func estimate(_ truth: YAMGPUInsertionTruth) -> [YAMArmPlanPoint] {
        (0..<2).map { arm in
            let q = (0..<6).map { truth.q[arm][$0] + Self.lagSeconds[$0] * truth.dq[arm][$0] }
            return YAMArmPlanPoint(
                q: kinematics[arm].clamped(q), stepRad: truth.dq[arm].map { $0 * limits.periodS }, speedFraction: 0,
                gripper: truth.gripper[arm] > 0.5 ? 1 : 0)
        }
    }

    private static func row(_ points: [YAMArmPlanPoint]) -> [Double] {
        points[0].q + [points[0].gripper] + points[1].q + [points[1].gripper]
    }
}
