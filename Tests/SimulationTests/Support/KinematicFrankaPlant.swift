import PLDCore
import Simulation

/// TEST DOUBLE for physics only: a kinematic Franka that jumps to each goal at once and
/// records every call. The simulated NUC's sockets, threads and wire bytes around it are real.
final class KinematicFrankaPlant: FrankaPlant {
    enum Call: Equatable {
        case pose(Pose, interpolationSeconds: Double)
        case joints([Double], interpolationSeconds: Double, kind: JointControlKind)
        case stopMotion
        case moveGripper(widthMeters: Double, speedMetersPerSecond: Double)
        case grasp(widthMeters: Double, speedMetersPerSecond: Double, forceNewtons: Double, epsilonInner: Double, epsilonOuter: Double)
        case stopGripper
        case homeGripper
    }

    private struct Inner {
        var q: [Double] = [0, -0.785, 0, -2.356, 0, 1.571, 0.785]
        var pose = KinematicFrankaPlant.startPose
        var moving = false
        var gripperWidth = 0.08
        var grasped = false
        var calls: [Call] = []
    }

    /// Gripper down over the table: π about x.
    static let startPose = Pose(
        translation: SIMD3(0.45, 0.0, 0.35), rotation: Rotation(axisAngle: SIMD3(.pi, 0, 0)))

    /// Width of the object between the fingers when grasping, m (nil = nothing to grasp).
    let objectWidthMeters: Double?
    private let inner = Locked(Inner())

    init(objectWidthMeters: Double? = 0.03) { self.objectWidthMeters = objectWidthMeters }

    // MARK: FrankaPlant

    func readState() -> FrankaPlantState {
        inner.withLock { s in
            FrankaPlantState(
                q: s.q, dq: [Double](repeating: 0, count: 7), tauJ: [Double](repeating: 0.5, count: 7),
                O_T_EE: s.pose.columnMajorArray, gripperWidthMeters: s.gripperWidth, gripperMaxWidthMeters: 0.08,
                gripperIsGrasped: s.grasped, gripperIsMoving: false, isMoving: s.moving)
        }
    }

    func commandPose(goal: Pose, interpolationSeconds: Double) {
        inner.withLock {
            $0.calls.append(.pose(goal, interpolationSeconds: interpolationSeconds))
            $0.pose = goal
            $0.moving = true
        }
    }

    func commandJoints(goal: [Double], interpolationSeconds: Double, kind: JointControlKind) {
        inner.withLock {
            $0.calls.append(.joints(goal, interpolationSeconds: interpolationSeconds, kind: kind))
            $0.q = goal
            $0.moving = true
        }
    }

    func stopMotion() {
        inner.withLock {
            $0.calls.append(.stopMotion)
            $0.moving = false
        }
    }

    func moveGripper(widthMeters: Double, speedMetersPerSecond: Double) {
        inner.withLock {
            $0.calls.append(.moveGripper(widthMeters: widthMeters, speedMetersPerSecond: speedMetersPerSecond))
            $0.gripperWidth = min(max(widthMeters, 0), 0.08)
            $0.grasped = false
        }
    }

    func grasp(
        widthMeters: Double, speedMetersPerSecond: Double, forceNewtons: Double, epsilonInnerMeters: Double,
        epsilonOuterMeters: Double
    ) {
        let object = objectWidthMeters
        inner.withLock {
            $0.calls.append(.grasp(
                widthMeters: widthMeters, speedMetersPerSecond: speedMetersPerSecond, forceNewtons: forceNewtons,
                epsilonInner: epsilonInnerMeters, epsilonOuter: epsilonOuterMeters))
            let stopWidth = object ?? 0
            $0.gripperWidth = stopWidth
            $0.grasped = stopWidth >= widthMeters - epsilonInnerMeters && stopWidth <= widthMeters + epsilonOuterMeters
        }
    }

    func stopGripper() {
        inner.withLock {
            $0.calls.append(.stopGripper)
            $0.grasped = false
        }
    }

    func homeGripper() {
        inner.withLock {
            $0.calls.append(.homeGripper)
            $0.gripperWidth = 0.08
            $0.grasped = false
        }
    }

    // MARK: Test controls

    /// Every call so far.
    var calls: [Call] { inner.withLock { $0.calls } }

    /// Forgets the calls so far.
    func clearCalls() { inner.withLock { $0.calls.removeAll() } }

    /// Moves the measured end effector, as if physics had drifted away from the last goal.
    func setMeasuredPose(_ pose: Pose) { inner.withLock { $0.pose = pose } }

    var measuredPose: Pose { inner.withLock { $0.pose } }

    var poseGoals: [(Pose, Double)] {
        calls.compactMap { if case .pose(let p, let s) = $0 { (p, s) } else { nil } }
    }

    func count(_ call: (Call) -> Bool) -> Int { calls.filter(call).count }
}

extension KinematicFrankaPlant.Call {
    var isStopMotion: Bool { self == .stopMotion }
    var isHoming: Bool { self == .homeGripper }
    var isStopGripper: Bool { self == .stopGripper }
    var isGrasp: Bool { if case .grasp = self { true } else { false } }
    var isMoveGripper: Bool { if case .moveGripper = self { true } else { false } }
    var isJoints: Bool { if case .joints = self { true } else { false } }
}
