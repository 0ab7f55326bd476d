import Foundation
import MuJoCo
import PLDCore
import SwiftProtobuf
import Wire
import ZeroMQ

/// Publishes ground-truth feature vectors from the physics state, as a perception node would:
/// one `pld.FeatureVector` PUB per feature a robot config names. The sim knows these features:
///
/// | name | dims | values |
/// |---|---|---|
/// | `cube_pose` | 7 | cube centre x, y, z (m, base frame) and orientation qw, qx, qy, qz |
/// | `task_state` | 6 | slot 1 insertion depth (m), slot 3 insertion depth (m), distance from the card to the hover point above slot 3 (m), card held by both fingers of either arm (0/1), card touching the table (0/1), card fallen off the table (0/1) |
///
/// Threading: one thread (`pld-sim features`) owns its sockets and a copy of the physics state.
public final class FeaturePublisher: Sendable {
    public static let known: [String: Int] = ["cube_pose": 7, "task_state": 6]

    private let world: SimWorld
    private let features: [FeatureConfig]
    private let rateHz: Double
    private let running = LockedValue(false)
    private let ready = OneShot<String?>()
    private let thread = LockedValue<NodeThread?>(nil)

    public init(world: SimWorld, features: [FeatureConfig], rateHz: Double) {
        self.world = world
        self.features = features
        self.rateHz = rateHz
    }

    /// Checks every feature is one the sim computes for this scene, binds the PUBs and starts.
    public func start(context: Context) throws(SimulationError) {
        for feature in features {
            guard let dims = Self.known[feature.name] else {
                throw SimulationError(
                    "pld sim: feature `\(feature.name)` is not one the simulator publishes (known: \(Self.known.keys.sorted().joined(separator: ", ")))")
            }
            guard dims == feature.dims else {
                throw SimulationError("pld sim: feature `\(feature.name)` has \(dims) values, the config says dims \(feature.dims)")
            }
        }
        guard !features.isEmpty else { return }
        running.withLock { $0 = true }
        thread.withLock { $0 = NodeThread(name: "pld-sim features") { [self] in run(context: context) } }
        if let problem = ready.wait() { throw SimulationError(problem) }
    }

    public func stop() {
        running.withLock { $0 = false }
        thread.value?.join()
    }

    private func run(context: Context) {
        var sockets: [Socket] = []
        let snapshot: MJData
        let measure: SceneMeasurements
        do {
            snapshot = try MJData(model: world.model)
            measure = try SceneMeasurements(model: world.model, needs: Set(features.map(\.name)))
            for feature in features {
                let socket = try Socket(context: context, type: .pub)
                try socket.bind(bindAddress(feature.endpoint))
                sockets.append(socket)
            }
        } catch {
            ready.fulfil("pld sim features: \(error)")
            return
        }
        ready.fulfil(nil)
        var sequence: UInt64 = 0
        var ticker = SimTicker(hz: rateHz, firstDeadline: world.clock.now)
        while running.value {
            guard world.clock.sleep(until: ticker.next, while: { running.value }) else { break }
            ticker.advance(now: world.clock.now)
            world.copyState(into: snapshot)
            for (index, feature) in features.enumerated() {
                var vector = PLDFeatureVector()
                vector.name = feature.name
                vector.sequence = sequence
                vector.captureUnixNs = world.clock.unixNanoseconds
                vector.values = measure.values(of: feature.name, in: snapshot).map { Float($0) }
                if let labels = feature.labels { vector.labels = labels }
                if let bytes: [UInt8] = try? vector.serializedBytes() { _ = try? sockets[index].send(bytes, flags: .dontWait) }
            }
            sequence += 1
        }
        for socket in sockets { socket.close() }
    }
}

/// Ground-truth task quantities of the two scenes, computed from a physics state.
struct SceneMeasurements {
    private var cube: MJBodyID?
    private var gpu: MJBodyID?
    private var gpuHalfSize = SIMD3<Double>(0.06, 0.01, 0.035)
    private var slots: [MJSiteID] = []
    private var table: MJGeomID?
    private var fingerPairs: [(MJBodyID, MJBodyID)] = []
    /// Slot depth (m) and the hover height above a slot floor for the carried card (m).
    private let slotDepth = 0.03
    private let hoverClearance = 0.02

    init(model: MJModel, needs: Set<String>) throws(MuJoCoError) {
        if needs.contains("cube_pose") { cube = try model.body(named: "cube") }
        if needs.contains("task_state") {
            gpu = try model.body(named: "gpu")
            slots = [try model.site(named: "slot1"), try model.site(named: "slot3")]
            table = try model.geom(named: "table")
            for side in ["left_", "right_"] {
                fingerPairs.append((try model.body(named: "\(side)finger1"), try model.body(named: "\(side)finger2")))
            }
        }
    }

    func values(of feature: String, in data: MJData) -> [Double] {
        switch feature {
        case "cube_pose":
            guard let cube else { return [] }
            let pose = data.pose(of: cube)
            let q = pose.quaternion
            return [pose.position.x, pose.position.y, pose.position.z, q.w, q.x, q.y, q.z]
        case "task_state":
            guard let gpu, let table else { return [] }
            let pose = data.pose(of: gpu)
            let lowest = lowestCornerZ(pose)
            let depths = slots.map { slot -> Double in
                let floor = data.position(of: slot)
                let offset = pose.position - floor
                // Inside the slot's footprint (0.13 × 0.026 m) means the card is in that slot.
                guard abs(offset.x) < 0.065, abs(offset.y) < 0.013 else { return 0 }
                return min(slotDepth, max(0, floor.z + slotDepth - lowest))
            }
            let slot3 = data.position(of: slots[1])
            let hover = slot3 + SIMD3(0, 0, slotDepth + gpuHalfSize.x + hoverClearance)
            let d = pose.position - hover
            let held = fingerPairs.contains { data.touching($0.0, gpu) && data.touching($0.1, gpu) }
            let onTable = data.touching(data.model.body(of: table), gpu)
            let fallen = pose.position.z < -0.05
            return [depths[0], depths[1], (d * d).sum().squareRoot(), held ? 1 : 0, onTable ? 1 : 0, fallen ? 1 : 0]
        default:
            return []
        }
    }

    /// The lowest z of the card's eight corners.
    private func lowestCornerZ(_ pose: MJPose) -> Double {
        var lowest = Double.infinity
        for sx in [-1.0, 1.0] {
            for sy in [-1.0, 1.0] {
                for sz in [-1.0, 1.0] {
                    let corner = pose.rotation * (gpuHalfSize * SIMD3(sx, sy, sz)) + pose.position
                    lowest = min(lowest, corner.z)
                }
            }
        }
        return lowest
    }
}
