import Foundation
import MuJoCo

/// One consistent snapshot of the yam-gpu-insertion scene's ground truth, what the scripted
/// base policy plans from: both arms' joints and grippers, the card's pose and contacts, the
/// slots, and the published `task_state` vector (computed by the same code as the feature
/// stream, so the script sees exactly what the stage classifiers see).
///
/// Arms are indexed 0 = left, 1 = right throughout (the action space's order).
public struct YAMGPUInsertionTruth: Sendable {
    /// Sim time of the snapshot, s.
    public var timeSeconds: Double
    /// Joint positions (rad) and velocities (rad/s), six per arm.
    public var q: [[Double]]
    public var dq: [[Double]]
    /// Gripper position per arm, normalised 0 open … 1 closed (as the driver reports it).
    public var gripper: [Double]
    /// The card's pose (body `gpu`; local x = length 0.12 m, y = thickness 0.02 m,
    /// z = height 0.07 m).
    public var card: MJPose
    /// Per arm: both fingers touch the card (the `task_state` "held" rule).
    public var holds: [Bool]
    /// Per arm: any finger touches the card.
    public var touches: [Bool]
    /// The floors of slots 1…4 (sites `slot1`…`slot4`), world frame, m.
    public var slotFloors: [SIMD3<Double>]
    /// `task_state`: slot-1 depth m, slot-3 depth m, distance to the hover point above slot 3 m,
    /// held 0/1, on table 0/1, fallen 0/1.
    public var taskState: [Double]

    public var slot1DepthM: Double { taskState[0] }
    public var slot3DepthM: Double { taskState[1] }
    public var hoverDistanceM: Double { taskState[2] }
    public var onTable: Bool { taskState[4] > 0.5 }
    public var fallen: Bool { taskState[5] > 0.5 }

    /// Half extents of the card, m (local x, y, z).
    public static let cardHalfSizeM = SIMD3<Double>(0.06, 0.01, 0.035)
    /// Slot depth, m (floor to the top of the walls).
    public static let slotDepthM = 0.03

    /// The card's axes in the world frame.
    public var cardLength: SIMD3<Double> { card.rotation * SIMD3(1, 0, 0) }
    public var cardThickness: SIMD3<Double> { card.rotation * SIMD3(0, 1, 0) }
    public var cardHeight: SIMD3<Double> { card.rotation * SIMD3(0, 0, 1) }

    /// The card lies flat: its thickness axis within ~15° of vertical.
    public var cardIsFlat: Bool { abs(cardThickness.z) > 0.97 }
    /// The card stands upright (as in a slot): its height axis within ~15° of vertical.
    public var cardIsUpright: Bool { abs(cardHeight.z) > 0.97 }

    /// Lowest z of the card's eight corners, m.
    public var cardLowestZ: Double {
        let h = Self.cardHalfSizeM
        return card.position.z - abs(cardLength.z) * h.x - abs(cardThickness.z) * h.y - abs(cardHeight.z) * h.z
    }
}

/// The element ids behind ``YAMGPUInsertionTruth``, resolved once, and the read itself.
struct YAMGPUInsertionScene {
    let card: MJBodyID
    let cardQposAddress: Int
    let cardDofAddress: Int
    let slots: [MJSiteID]
    /// Per arm (left, right): joint qpos and dof addresses, the finger bodies, the finger joint.
    let qposAddress: [[Int]]
    let dofAddress: [[Int]]
    let fingerBodies: [(MJBodyID, MJBodyID)]
    let fingerJoint: [MJJointID]
    /// One finger's full travel, m (normalised gripper 0 = this far open).
    let fingerStrokeM: Double
    let measurements: SceneMeasurements

    init(model: MJModel) throws(MuJoCoError) {
        card = try model.body(named: "gpu")
        let joint = try model.joint(named: "gpu_joint")
        cardQposAddress = model.qposAddress(of: joint)
        cardDofAddress = model.dofAddress(of: joint)
        slots = try (1...4).map { i throws(MuJoCoError) in try model.site(named: "slot\(i)") }
        var qpos: [[Int]] = [], dofs: [[Int]] = [], fingers: [(MJBodyID, MJBodyID)] = [], fingerJoints: [MJJointID] = []
        for side in ["left_", "right_"] {
            let joints = try (1...6).map { i throws(MuJoCoError) in try model.joint(named: "\(side)joint\(i)") }
            qpos.append(joints.map { model.qposAddress(of: $0) })
            dofs.append(joints.map { model.dofAddress(of: $0) })
            fingers.append((try model.body(named: "\(side)finger1"), try model.body(named: "\(side)finger2")))
            fingerJoints.append(try model.joint(named: "\(side)finger1"))
        }
        qposAddress = qpos
        dofAddress = dofs
        fingerBodies = fingers
        fingerJoint = fingerJoints
        fingerStrokeM = model.range(of: fingerJoints[0])?.upperBound ?? 0.0475
        measurements = try SceneMeasurements(model: model, needs: ["task_state"])
    }

    /// The ground truth in `data` (after a step or `forward()`: poses and contacts valid).
    func truth(_ data: MJData) -> YAMGPUInsertionTruth {
        YAMGPUInsertionTruth(
            timeSeconds: data.timeSeconds,
            q: qposAddress.map { $0.map { data.qpos[$0] } },
            dq: dofAddress.map { $0.map { data.qvel[$0] } },
            gripper: fingerJoint.map { min(1, max(0, 1 - data.position(of: $0) / fingerStrokeM)) },
            card: data.pose(of: card),
            holds: fingerBodies.map { data.touching($0.0, card) && data.touching($0.1, card) },
            touches: fingerBodies.map { data.touching($0.0, card) || data.touching($0.1, card) },
            slotFloors: slots.map { data.position(of: $0) },
            taskState: measurements.values(of: "task_state", in: data))
    }
}
