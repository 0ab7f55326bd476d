import Simulation

/// TEST DOUBLE for physics only: a kinematic 6-joint arm whose joints jump to every PD target
/// and stay put while damping, recording every call. The simulated driver's sockets, threads
/// and wire bytes around it are real.
final class KinematicYAMPlant: YAMPlant {
    enum Call: Equatable {
        case target([Double], kp: [Double], kd: [Double])
        case damp
        case gripper(Double, speedPerSecond: Double, maxEffort: Double)
    }

    private struct Inner {
        var q: [Double]
        var gripper = 0.0
        var calls: [Call] = []
    }

    private let inner: Locked<Inner>

    init(q: [Double] = [0, 1.047, 1.047, 0, 0, 0]) { inner = Locked(Inner(q: q)) }

    func readState() -> YAMPlantState {
        inner.withLock { s in
            YAMPlantState(
                q: s.q, dq: [Double](repeating: 0, count: s.q.count), tau: [Double](repeating: 0.1, count: s.q.count),
                gripperPosition: s.gripper, motorTemperaturesCelsius: [Double](repeating: 35, count: s.q.count))
        }
    }

    func setJointTarget(_ q: [Double], kp: [Double], kd: [Double]) {
        inner.withLock {
            $0.calls.append(.target(q, kp: kp, kd: kd))
            $0.q = q
        }
    }

    func damp() { inner.withLock { $0.calls.append(.damp) } }

    func setGripperTarget(_ position: Double, speedPerSecond: Double, maxEffort: Double) {
        inner.withLock {
            $0.calls.append(.gripper(position, speedPerSecond: speedPerSecond, maxEffort: maxEffort))
            $0.gripper = position
        }
    }

    // MARK: Test controls

    var calls: [Call] { inner.withLock { $0.calls } }
    func clearCalls() { inner.withLock { $0.calls.removeAll() } }
    /// Moves the measured joints, as if something pushed the arm.
    func setMeasured(_ q: [Double]) { inner.withLock { $0.q = q } }
    var q: [Double] { inner.withLock { $0.q } }

    var targets: [[Double]] { calls.compactMap { if case .target(let q, _, _) = $0 { q } else { nil } } }
    var lastTarget: [Double]? { targets.last }
    var dampCount: Int { calls.filter { $0 == .damp }.count }
}
