import Foundation
import MuJoCo

/// The franka-cube scene's reset fixture: places the cube at a random spot on the table whenever
/// the arm is back at its home pose with the gripper open after having left it (one placement
/// per episode, whether the last attempt moved the cube or not) — the
/// simulator's stand-in for the person or mechanism that resets a real cell between episodes.
/// `pld run` just moves home as it would on hardware; it cannot tell.
///
/// Runs on the physics thread (a ``WorldController``); it reads ground truth for the scripted
/// policy through ``groundTruth()`` from any thread.
public final class FrankaCubeTask: WorldController, @unchecked Sendable {
    // @unchecked: fields are touched only with the world's lock held.
    private let world: SimWorld
    private let cubeBody: MJBodyID
    private let cubeQposAddress: Int
    private let cubeDofAddress: Int
    private let eeSite: MJSiteID
    private let fingers: (MJJointID, MJJointID)
    private var random: SplitMix
    /// Where the cube was last placed.
    private var spawn = SIMD3<Double>(0.5, -0.2, 0.025)
    /// The arm has left home since the last placement.
    private var disturbed = false
    private var stepCounter = 0
    public private(set) var resets = 0
    /// Cube centres are drawn from this box on the table, m (base frame).
    public var xRangeM = 0.42...0.58
    public var yRangeM = -0.22...0.22
    public let homeEEPositionM = SIMD3<Double>(0.307, 0, 0.487)

    private let log: SimLog

    public init(world: SimWorld, seed: UInt64, log: SimLog = .standardError) throws(MuJoCoError) {
        self.log = log
        self.world = world
        let model = world.model
        cubeBody = try model.body(named: "cube")
        let joint = try model.joint(named: "cube_joint")
        cubeQposAddress = model.qposAddress(of: joint)
        cubeDofAddress = model.dofAddress(of: joint)
        eeSite = try model.site(named: "ee")
        fingers = (try model.joint(named: "finger_joint1"), try model.joint(named: "finger_joint2"))
        random = SplitMix(seed: seed)
        world.withLock { data in placeCube(data) }
        world.add(self)
    }

    /// Ground truth for the scripted policy: EE position, finger opening, cube centre.
    public func groundTruth() -> (ee: SIMD3<Double>, gripperWidthM: Double, cube: SIMD3<Double>) {
        world.withLock { data in
            (data.position(of: eeSite), data.position(of: fingers.0) + data.position(of: fingers.1), data.position(of: cubeBody))
        }
    }

    func control(_ data: MJData, dt: Double) {
        stepCounter += 1
        guard stepCounter % 50 == 0 else { return }
        let ee = data.position(of: eeSite) - homeEEPositionM
        let distance = (ee * ee).sum().squareRoot()
        if distance > 0.1 { disturbed = true }  // the arm went out to work
        let width = data.position(of: fingers.0) + data.position(of: fingers.1)
        if disturbed && distance < 0.03 && width > 0.07 {
            placeCube(data)
        }
    }

    private func placeCube(_ data: MJData) {
        spawn = SIMD3(random.uniform(xRangeM), random.uniform(yRangeM), 0.025)
        let values = [spawn.x, spawn.y, spawn.z, 1, 0, 0, 0]
        for i in 0..<7 { data.qpos[cubeQposAddress + i] = values[i] }
        for i in 0..<6 { data.qvel[cubeDofAddress + i] = 0 }
        disturbed = false
        resets += 1
        log(String(format: "cube placed at x %.3f m, y %.3f m (placement %d)", spawn.x, spawn.y, resets))
    }
}

/// SplitMix64, for the scene's seeded randomness.
struct SplitMix: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * Double(next() >> 11) / Double(1 << 53)
    }
}
