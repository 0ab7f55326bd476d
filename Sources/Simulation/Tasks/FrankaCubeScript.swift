/// The scripted "VLA" behind `pld sim --scene franka-cube`'s openpi server: a pick-and-lift
/// controller that plans action chunks from the simulator's ground truth (end-effector and cube
/// positions, finger opening), in the config's action space (`ee_delta`: 6 normalised deltas ×
/// 0.05 m / 1 rad, then the gripper, 0 open … 1 closed).
///
/// It succeeds only part of the time, for a reason a residual conditioned on state and base
/// action can learn to correct: its grasp point is biased sideways by an error that grows with
/// the cube's distance from the robot's centre line (1.27 · y·|y|: 6 cm at the table's edge,
/// like a VLA whose depth estimate is off at the edge of the image). Cubes near the centre are
/// picked; cubes far to the side are missed, the closed fingers rise empty, and the episode
/// times out. Cube positions are drawn uniformly across the table by `FrankaCubeTask`, which
/// puts the base policy's success rate at about 60 %.
///
/// Like many VLA grasps it centres at a hover height above the (believed) grasp point and then
/// goes straight down, without re-centring during the 10 cm descent: a sideways correction
/// made on the way down is kept, not fought — the residual's way to fix the bias.
public struct FrankaCubeScript: Sendable {
    /// Lateral grasp error: `biasGainPerMeter · y · |y| / 0.1` m for a cube at y.
    public var biasGainPerMeter = 0.127
    /// Below the hover height by more than this (m) the end effector is descending, and keeps
    /// descending while within `descendToleranceM` of the target horizontally. 7 cm: wider than
    /// the largest bias (6.1 cm at the table's edge), so a residual's sideways correction during
    /// the descent is never undone by a climb back to the hover point (a VLA that has started
    /// its descent does not re-plan its approach either).
    public var descendStartedM = 0.01
    public var descendToleranceM = 0.07
    /// Metres per normalised translation unit (the action space's scale).
    public var translationMPerUnit = 0.05
    /// Largest planned move per step, m (kept under the safety chain's step cap).
    public var stepM = 0.009
    public var hoverHeightM = 0.10
    public var graspHeightM = 0.003
    public var liftHeightM = 0.20
    /// Fraction of each commanded delta the arm realises within one tick (OSC goals are
    /// relative to the measured pose, so the arm lags them): the plan rolls its own estimate of
    /// the end effector forward by this much, and later actions of the chunk keep pushing.
    public var realisedFraction = 0.6

    public init() {}

    public enum Phase: Sendable, Equatable { case approach, descend, close, lift }

    /// The phase for the current ground truth.
    public func phase(ee: SIMD3<Double>, gripperWidthM: Double, cube: SIMD3<Double>) -> Phase {
        // Fingers closing or closed: keep closing until they stop on something, then lift —
        // whether or not they hold the cube (the script never notices a miss).
        if gripperWidthM < 0.07 { return ee.z < cube.z + 0.02 && gripperWidthM > 0.055 ? .close : .lift }
        let target = graspPoint(cube: cube)
        let horizontal = SIMD2(ee.x - target.x, ee.y - target.y)
        let distance = (horizontal * horizontal).sum().squareRoot()
        let low = ee.z < target.z + hoverHeightM - descendStartedM
        if distance > (low ? descendToleranceM : 0.006) { return .approach }
        return ee.z > target.z + 0.004 ? .descend : .close
    }

    /// Where the script believes the cube's grasp point is (biased sideways).
    public func graspPoint(cube: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(cube.x, cube.y + biasGainPerMeter * cube.y * (abs(cube.y) / 0.1), cube.z + graspHeightM)
    }

    /// A chunk of `steps` actions (each `[dx, dy, dz, 0, 0, 0, gripper]` normalised), planned by
    /// rolling the end effector forward along the phases.
    public func chunk(ee start: SIMD3<Double>, gripperWidthM: Double, cube: SIMD3<Double>, steps: Int) -> [[Double]] {
        var ee = start
        var width = gripperWidthM
        var actions: [[Double]] = []
        let target = graspPoint(cube: cube)
        for _ in 0..<steps {
            var move = SIMD3<Double>.zero
            var gripper = width < 0.07 ? 1.0 : 0.0
            switch phase(ee: ee, gripperWidthM: width, cube: cube) {
            case .approach:
                // Centre at the hover height (climbing to it first if below).
                move = SIMD3(target.x, target.y, target.z + hoverHeightM) - ee
            case .descend:
                move = SIMD3(0, 0, target.z - ee.z)  // straight down
            case .close:
                gripper = 1
                width = 0.06  // planned: the fingers are closing
            case .lift:
                gripper = 1
                move = SIMD3(0, 0, cube.z + liftHeightM - ee.z)
            }
            let length = (move * move).sum().squareRoot()
            if length > stepM { move *= stepM / length }
            ee += move * realisedFraction
            let scaled = move / translationMPerUnit
            actions.append([scaled.x, scaled.y, scaled.z, 0, 0, 0, gripper])
        }
        return actions
    }
}
