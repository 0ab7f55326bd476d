import Foundation
import MuJoCo

/// The yam-gpu-insertion scene's reset fixture and ground truth: whenever both arms are back at
/// their home pose with both grippers open after either has left it, the card is put back flat
/// on the table at a random position and yaw (one placement per episode, wherever the card
/// ended — standing on the table, in a slot, fallen off) — the simulator's stand-in for the
/// person who resets a real cell. `pld run` just moves home as it would on hardware (its reset
/// gates keep it from doing that while the card is held or in a slot); it cannot tell.
///
/// Placements are drawn uniformly from ``xRangeM`` × ``yRangeM`` × ``yawRangeRad`` (card
/// centre in the world frame, yaw about +z from lying along +x), seeded; each is logged.
///
/// Runs on the physics thread (a ``WorldController``); ``groundTruth()`` may be called from any
/// thread.
public final class YAMGPUInsertionTask: WorldController, @unchecked Sendable {
    // @unchecked: the random state, flags and counters are touched only with the world's lock held;
    // the snapshot only with `snapshotLock` held.
    private let world: SimWorld
    let scene: YAMGPUInsertionScene
    private let snapshot: MJData
    private let snapshotLock = NSLock()
    private var random: SplitMix
    private var disturbed = false
    private var stepCounter = 0
    private let log: SimLog
    private var placementCount = 0
    /// Placements so far (the first is made by `init`).
    public var placements: Int { world.withLock { _ in placementCount } }
    /// Card centres are drawn from this box on the table, m (world frame: between the arm
    /// bases, in front of them, clear of the fixture at x 0.365…0.535).
    public let xRangeM = 0.18...0.26
    public let yRangeM = -0.06...0.06
    /// Yaw of the card's length from world +x, rad.
    public let yawRangeRad = -0.35...0.35
    /// Both arms' home (the config's `reset.home`, Menagerie `home`), rad.
    public let homeRad: [Double] = [0, 1.047, 1.047, 0, 0, 0]
    /// An arm is home within this much per joint, rad; it has left home beyond `leftHomeRad`.
    public let homeToleranceRad = 0.05
    public let leftHomeRad = 0.2

    public var model: MJModel { world.model }

    /// Binds to the scene in `world`, places the card (the first draw of `seed`) and adds the
    /// fixture to the physics loop.
    public init(world: SimWorld, seed: UInt64, log: SimLog = .standardError) throws(MuJoCoError) {
        self.world = world
        self.log = log
        scene = try YAMGPUInsertionScene(model: world.model)
        snapshot = try MJData(model: world.model)
        random = SplitMix(seed: seed)
        world.withLock { data in
            placeCard(data)
            data.forward()
        }
        world.add(self)
    }

    /// The current ground truth (a copy of the physics state, read outside the world's lock).
    public func groundTruth() -> YAMGPUInsertionTruth {
        snapshotLock.withLock {
            world.copyState(into: snapshot)
            return scene.truth(snapshot)
        }
    }

    func control(_ data: MJData, dt: Double) {
        stepCounter += 1
        guard stepCounter % 50 == 0 else { return }
        var allHome = true
        for arm in 0..<2 {
            for j in 0..<6 {
                let offset = abs(data.qpos[scene.qposAddress[arm][j]] - homeRad[j])
                if offset > leftHomeRad { disturbed = true }
                if offset > homeToleranceRad { allHome = false }
            }
            let opening = data.position(of: scene.fingerJoint[arm]) / scene.fingerStrokeM
            if opening < 0.85 { allHome = false }
        }
        if disturbed && allHome { placeCard(data) }
    }

    private func placeCard(_ data: MJData) {
        let x = random.uniform(xRangeM), y = random.uniform(yRangeM), yaw = random.uniform(yawRangeRad)
        // Lying flat: +90° about x (thickness vertical), then the yaw about z.
        let flat = (w: 0.5.squareRoot(), x: 0.5.squareRoot())
        let (cy, sy) = (cos(yaw / 2), sin(yaw / 2))
        let values = [x, y, YAMGPUInsertionTruth.cardHalfSizeM.y + 0.0005, cy * flat.w, cy * flat.x, sy * flat.x, sy * flat.w]
        for i in 0..<7 { data.qpos[scene.cardQposAddress + i] = values[i] }
        for i in 0..<6 { data.qvel[scene.cardDofAddress + i] = 0 }
        disturbed = false
        placementCount += 1
        log(String(format: "gpu placed at x %.3f m, y %.3f m, yaw %.2f rad (placement %d)", x, y, yaw, placementCount))
    }
}
