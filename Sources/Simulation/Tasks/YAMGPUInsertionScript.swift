import Foundation
import MuJoCo

/// The scripted "VLA" behind `pld sim --scene yam-gpu-insertion`'s openpi server: decides,
/// from the ground truth and the stage, where each arm's grasp site should go next and what
/// each gripper does (``YAMGPUInsertionPolicy`` turns that into a chunk of joint targets).
///
/// The card lies flat, and a parallel gripper can take a flat 0.12 × 0.07 m card only across
/// its 0.07 m width, by the long edges a slot needs free (and a finger would end up under the
/// card). So the arms hand it over:
///
/// 1. the right arm picks the flat card from above across its width, 3.5 cm from its centre,
///    lifts it and rolls it 45° about its length toward the left arm (``handoverRollRad``);
/// 2. the left arm, waiting on the approach line, grasps the risen long edge across the
///    card's thickness; the right arm opens, backs off along its fingers and goes home;
/// 3. the left arm straightens the card upright while carrying it over slot 1, lines it up,
///    pushes it in and keeps holding it (stage 2 starts from there);
/// 4. stage 2 lifts it straight out and holds it at the hover point above slot 3; stage 3
///    lines it up and inserts it; stage 4 lifts it out, stands it on the table and lets go.
///
/// Splitting the roll keeps each wrist's turn short and lets the left's overlap its move: the
/// YAM wrist (kp 10) may turn only about 0.2 rad/s before the runtime's 0.05 rad per-tick
/// step cap clamps (see ``YAMArmMotion``), so one arm rolling 90° would take most of stage 1.
///
/// Every decision is a function of the current ground truth, so a request in the middle of
/// anything (a retried stage, a failed grasp, a card standing in a slot) continues from there:
/// a closed gripper that holds nothing reopens and tries again; a card standing upright
/// (on the table or in a slot) is taken by the left arm directly.
///
/// **Deliberate imperfection** (what a residual conditioned on state can learn to correct),
/// in the spirit of ``FrankaCubeScript``'s bias: the script's estimate of where the flat card
/// lies is off along the card's length by ``pickBiasPerMeter`` × the card's y (its offset
/// from the line between the arm bases, m) — a VLA whose depth estimate drifts toward one side
/// of the top camera's image. The right arm's grasp point, meant 3.5 cm from the card's
/// centre, slides toward the card's near end for cards on the right (−y) side; below about
/// y = −0.045 m the pads miss the card's end or catch too little of it, the card is never
/// lifted, every regrasp repeats the same error and stage 1 times out (about one placement in
/// seven of the fixture's range). Cards elsewhere are picked, handed over and inserted. The
/// error is a deterministic function of where the right arm reaches (its joints are in the
/// residual's observation), and a residual of a few millimetres of joint motion fixes it. The
/// later stages work from the card's true pose and succeed whenever stage 1 did.
public struct YAMGPUInsertionScript: Sendable {
    /// Where the right arm presents the card to the left arm, card centre, world frame, m.
    public var handoverCardCentreM = SIMD3<Double>(0.33, 0.03, 0.15)
    /// How far the right arm rolls the card up before the handover, rad; the left arm
    /// straightens it the rest of the way while it carries it (each wrist turns only part of
    /// the 90°, and the left's part overlaps its move).
    public var handoverRollRad = Double.pi / 4
    /// Tilt of the right arm's approach to the flat card from vertical, toward the card's far
    /// end, rad (0 measured fastest: tilts shorten the approach but lengthen the roll).
    public var flatGraspTiltRad = 0.0
    /// The right arm grasps the flat card this far from its centre along its length (toward
    /// the arms' bases), leaving the middle of the top edge free for the left fingers, m.
    public var rightGraspOffsetM = 0.035
    /// The right grasp site below the flat card's top face, m (vertical fingers then end
    /// ~4 mm above the table).
    public var flatGraspBelowTopM = 0.006
    /// The left grasp site below the upright card's top edge, m: the finger tips (1 cm beyond
    /// the site) reach 3 cm down the card and stay 1 cm above the slot walls when it is seated.
    public var edgeGraspBelowTopM = 0.02
    /// Tilt of the left arm's approach to the card's top edge from the card's height axis, rad.
    public var edgeGraspTiltRad = 0.4
    /// Pre-grasp distance back along the approach, m.
    public var preGraspM = 0.04
    /// Card bottom above the slot walls before the straight descent, m.
    public var preInsertClearanceM = 0.015
    /// Insertion depth aimed for (the slot is 0.03 m deep; success is ≥ 0.008 m), m.
    public var insertDepthM = 0.026
    /// Line-up tolerances before a descent (card centre over the slot, orientation).
    public var alignToleranceM = 0.0015
    public var alignToleranceRad = 0.03
    /// Where stage 4 stands the card on the table: card centre x, y, m.
    public var tableDropM = SIMD2<Double>(0.26, 0.12)
    /// Card bottom above the table when the left gripper lets go, m.
    public var releaseHeightM = 0.003
    /// Both arms' home (Menagerie `home` keyframe), rad.
    public var homeRad: [Double] = [0, 1.047, 1.047, 0, 0, 0]
    /// Deliberate imperfection: error of the right grasp point along the card's length per
    /// metre of card y (see the type's documentation); positive moves the grasp toward the
    /// card's near end for cards at negative y.
    public var pickBiasPerMeter = 0.9

    public init() {}

    /// What the script is doing, for logs and tests.
    public enum Phase: String, Sendable {
        case rightApproach, rightDescend, rightClose, rightRegrasp
        case liftFlat, toHandover, leftApproach, leftDescend, leftClose, leftRegrasp
        case rightRelease, toSlot, lineUp, insert, liftOut, toHover, toTable, lower, release
        case done, wait
    }

    /// The ground truth plus the measured grasp-site pose of each arm (forward kinematics of
    /// the measured joints).
    struct Situation {
        var truth: YAMGPUInsertionTruth
        var sites: [MJPose]
    }

    static let left = 0, right = 1

    /// Each arm's goal for the next chunk in `stage`.
    func goals(for stage: YAMGPUInsertionStage, in s: Situation) -> (goals: [YAMArmGoal], phase: Phase) {
        let t = s.truth
        let (l, r) = (Self.left, Self.right)
        if t.fallen { return ([hold(l, s), hold(r, s)], .wait) }
        if t.holds[l] {
            if t.touches[r] {
                // Handover: the right arm lets go (and backs off once open); the left holds still.
                let right = t.gripper[r] < 0.1 ? retreat(r, s) : YAMArmGoal(target: .hold, gripper: 0)
                return ([YAMArmGoal(target: .hold, gripper: 1, payload: payload(l, s)), right], .rightRelease)
            }
            let (left, phase) = carry(stage, s)
            return ([left, retreat(r, s)], phase)
        }
        if t.holds[r] { return handover(s) }
        // Nobody holds the card.
        let inASlot = t.slot1DepthM > 0.002 || t.slot3DepthM > 0.002
        if stage == .returnToTable && t.onTable && !inASlot {
            return ([retreat(l, s, thenHome: false), retreat(r, s)], .done)
        }
        if t.cardIsUpright && t.card.position.z < 0.1 {
            let (left, phase) = grasp(l, at: edgeGrasp(s), closedAbove: 0.9, s)
            return ([left, retreat(r, s)], phase)
        }
        if t.cardIsFlat && t.onTable {
            let (right, phase) = grasp(r, at: flatGrasp(s), closedAbove: 0.4, s)
            return ([YAMArmGoal(target: .posture(preHandover(presentedPose(t.card), s), seed: nil), gripper: 0), right], phase)
        }
        return ([hold(l, s), hold(r, s)], .wait)
    }

    // MARK: Stages with the card in the left hand

    private func carry(_ stage: YAMGPUInsertionStage, _ s: Situation) -> (YAMArmGoal, Phase) {
        let t = s.truth
        switch stage {
        case .insertSlot1: return insert(into: 0, s)
        case .insertSlot3: return insert(into: 2, s)
        case .moveToSlot3:
            let hover = t.slotFloors[2] + SIMD3(0, 0, Self.hoverAboveFloorM)
            if let lift = liftOut(towards: hover, s) { return lift }
            return (carryTo(MJPose(position: hover, rotation: upright(like: t.card)), s), .toHover)
        case .returnToTable:
            let rest = SIMD3(tableDropM.x, tableDropM.y, YAMGPUInsertionTruth.cardHalfSizeM.z + releaseHeightM)
            let above = rest + SIMD3(0, 0, 0.05)
            if let lift = liftOut(towards: above, s) { return lift }
            let offset = t.card.position - rest
            if (offset.x * offset.x + offset.y * offset.y).squareRoot() > 0.004 {
                return (carryTo(MJPose(position: above, rotation: upright(like: t.card)), s), .toTable)
            }
            if offset.z > 0.002 {
                return (carryTo(MJPose(position: rest, rotation: upright(like: t.card)), s, speed: 0.4), .lower)
            }
            return (YAMArmGoal(target: .hold, gripper: 0, payload: payload(Self.left, s)), .release)
        }
    }

    /// The hover point's height above a slot floor (FeaturePublisher: slot depth + half the
    /// card's length + 2 cm), m.
    static let hoverAboveFloorM = 0.11

    /// Line the card up over slot `index` (0-based: 0 = slot 1, 2 = slot 3) and push it in.
    private func insert(into index: Int, _ s: Situation) -> (YAMArmGoal, Phase) {
        let t = s.truth
        let floor = t.slotFloors[index]
        let top = floor.z + YAMGPUInsertionTruth.slotDepthM
        let halfHeight = YAMGPUInsertionTruth.cardHalfSizeM.z
        let seated = MJPose(
            position: SIMD3(floor.x, floor.y, floor.z + YAMGPUInsertionTruth.slotDepthM - insertDepthM + halfHeight),
            rotation: upright(like: t.card))
        let above = MJPose(position: SIMD3(floor.x, floor.y, top + preInsertClearanceM + halfHeight), rotation: seated.rotation)
        let offset = t.card.position - floor
        let horizontal = (offset.x * offset.x + offset.y * offset.y).squareRoot()
        let tilt = length(YAMArmKinematics.rotationError(from: t.card.rotation, to: seated.rotation))
        // Started down: keep going (nothing moves sideways inside a slot, and the line-up
        // is not looked at again).
        if t.cardLowestZ < top + preInsertClearanceM - 0.003 && horizontal < 0.005 {
            return (carryTo(seated, s, speed: 0.35), .insert)
        }
        if t.cardLowestZ < top + preInsertClearanceM - 0.004 && horizontal > alignToleranceM {
            // Low but not over the slot (on a wall, or in another slot): straight up first.
            let up = MJPose(position: SIMD3(t.card.position.x, t.card.position.y, above.position.z), rotation: t.card.rotation)
            return (carryTo(up, s), .liftOut)
        }
        if horizontal < alignToleranceM && tilt < alignToleranceRad {
            return (carryTo(seated, s, speed: 0.35), .insert)
        }
        return (carryTo(above, s), horizontal < 0.02 ? .lineUp : .toSlot)
    }

    /// While the card is still down in a slot (or low) and not yet over `destination`: the
    /// goal straight up to `destination`'s height.
    private func liftOut(towards destination: SIMD3<Double>, _ s: Situation) -> (YAMArmGoal, Phase)? {
        let t = s.truth
        let offset = t.card.position - destination
        let horizontal = (offset.x * offset.x + offset.y * offset.y).squareRoot()
        let lowestTop = t.slotFloors[0].z + YAMGPUInsertionTruth.slotDepthM + 0.01
        guard t.cardLowestZ < lowestTop && horizontal > 0.003 else { return nil }
        let up = SIMD3(t.card.position.x, t.card.position.y, max(destination.z, t.card.position.z + 0.02))
        return (carryTo(MJPose(position: up, rotation: upright(like: t.card)), s, speed: 0.6), .liftOut)
    }

    // MARK: Handover

    private func handover(_ s: Situation) -> ([YAMArmGoal], Phase) {
        let t = s.truth
        let (l, r) = (Self.left, Self.right)
        let presented = presentedPose(t.card)
        if t.cardLowestZ < 0.03 && t.cardIsFlat {
            // Off the table first, level, so the roll does not scrape an edge along it.
            let lifted = MJPose(position: t.card.position + SIMD3(0, 0, 0.05), rotation: t.card.rotation)
            return ([YAMArmGoal(target: .posture(preHandover(presented, s), seed: nil), gripper: 0), carry(r, lifted, s, speed: 0.7)], .liftFlat)
        }
        let offset = t.card.position - presented.position
        let angle = length(YAMArmKinematics.rotationError(from: t.card.rotation, to: presented.rotation))
        let settled = length(offset) < 0.006 && angle < 0.05 && t.dq[r].allSatisfy { abs($0) < 0.05 }
        if !settled && !t.touches[l] {
            return ([YAMArmGoal(target: .posture(preHandover(presented, s), seed: nil), gripper: 0), carry(r, presented, s)], .toHandover)
        }
        let (left, phase) = grasp(l, at: edgeGrasp(s), closedAbove: 0.9, s)
        return ([left, YAMArmGoal(target: .hold, gripper: 1, payload: payload(r, s))], phase)
    }

    /// Where the right arm presents the card: at ``handoverCardCentreM``, its length along
    /// world x, rolled ``handoverRollRad`` about it from lying flat so that the long edge on
    /// the left arm's side (+y) comes up.
    func presentedPose(_ card: MJPose) -> MJPose {
        let length = card.rotation * SIMD3<Double>(1, 0, 0), height = card.rotation * SIMD3<Double>(0, 0, 1)
        let x = SIMD3<Double>(length.x >= 0 ? 1 : -1, 0, 0)
        // The height axis end that points to +y (flat) or up (rolled) is the edge that rises.
        let edgeUp = SIMD3(0, cos(handoverRollRad), sin(handoverRollRad))
        let z = height.y + height.z >= 0 ? edgeUp : -edgeUp
        return MJPose(position: handoverCardCentreM, rotation: Self.rotation(x: x, z: z))
    }

    /// The left grasp site's pre-grasp pose for the card once presented: on the approach line
    /// of its grasp of the rising edge.
    private func preHandover(_ presented: MJPose, _ s: Situation) -> MJPose {
        let grasp = edgeGrasp(presented, s)
        return MJPose(position: grasp.position - preGraspM * (grasp.rotation * SIMD3<Double>(0, 0, 1)), rotation: grasp.rotation)
    }

    // MARK: Grasps

    /// The right arm's grasp on the flat card: across its width, near the end nearer the arms'
    /// bases, the approach tilted ``flatGraspTiltRad`` from vertical toward the card's far end
    /// (less wrist pitch from home; the finger pads stay vertical).
    private func flatGrasp(_ s: Situation) -> MJPose {
        let t = s.truth
        var forward = t.cardLength
        forward.z = 0
        forward = normalize(forward.x >= 0 ? forward : -forward)
        var closing = t.cardHeight
        closing.z = 0
        let top = t.card.position.z + YAMGPUInsertionTruth.cardHalfSizeM.y
        let believedOffset = rightGraspOffsetM - pickBiasPerMeter * t.card.position.y
        var position = t.card.position - believedOffset * forward
        position.z = top - flatGraspBelowTopM
        let approach = normalize(SIMD3(0, 0, -cos(flatGraspTiltRad)) + sin(flatGraspTiltRad) * forward)
        return MJPose(position: position, rotation: toolRotation(approach: approach, closing: normalize(closing), like: s.sites[Self.right]))
    }

    /// The left arm's grasp on the upright card: from above, across its thickness, at the
    /// middle of its top edge; the approach tilted ``edgeGraspTiltRad`` in the card's plane
    /// toward its far end (away from the arm bases), which keeps the wrist off its pitch limit
    /// over the slots.
    private func edgeGrasp(_ s: Situation) -> MJPose { edgeGrasp(s.truth.card, s) }

    private func edgeGrasp(_ card: MJPose, _ s: Situation) -> MJPose {
        let height = card.rotation * SIMD3<Double>(0, 0, 1), length = card.rotation * SIMD3<Double>(1, 0, 0)
        let up = height.z >= 0 ? height : -height
        let forward = length.x >= 0 ? length : -length
        let position = card.position + (YAMGPUInsertionTruth.cardHalfSizeM.z - edgeGraspBelowTopM) * up
        let approach = -cos(edgeGraspTiltRad) * up + sin(edgeGraspTiltRad) * forward
        return MJPose(position: position, rotation: toolRotation(approach: approach, closing: card.rotation * SIMD3<Double>(0, 1, 0), like: s.sites[Self.left]))
    }

    /// Pre-grasp on the approach line, straight descent, close; a closed gripper that holds
    /// nothing opens and goes back up. `closedAbove`: gripper position past the object's size.
    private func grasp(_ arm: Int, at target: MJPose, closedAbove: Double, _ s: Situation) -> (YAMArmGoal, Phase) {
        let t = s.truth
        let isLeft = arm == Self.left
        let site = s.sites[arm]
        let approach = target.rotation * SIMD3<Double>(0, 0, 1)
        let pre = MJPose(position: target.position - preGraspM * approach, rotation: target.rotation)
        let offset = site.position - target.position
        let axial = (offset * approach).sum()
        let lateral = length(offset - axial * approach)
        let angle = length(YAMArmKinematics.rotationError(from: site.rotation, to: target.rotation))
        let closing = t.gripper[arm] > 0.08
        if t.gripper[arm] > closedAbove && !t.holds[arm] {
            return (YAMArmGoal(target: .pose(pre), gripper: 0), isLeft ? .leftRegrasp : .rightRegrasp)
        }
        if (closing && length(offset) < 0.008) || (length(offset) < 0.003 && angle < 0.04) {
            return (YAMArmGoal(target: .pose(target), gripper: 1), isLeft ? .leftClose : .rightClose)
        }
        if closing {
            return (YAMArmGoal(target: .pose(pre), gripper: 0), isLeft ? .leftRegrasp : .rightRegrasp)
        }
        let descending = axial > -preGraspM + 0.01
        if lateral < (descending ? 0.006 : 0.003) && angle < 0.04 && axial > -preGraspM - 0.03 && axial < 0.01 {
            return (YAMArmGoal(target: .pose(target), gripper: 0, speedScale: 0.5), isLeft ? .leftDescend : .rightDescend)
        }
        // Far away: in joint space (fast, the path does not matter up there); near: straight.
        let far = length(site.position - pre.position) > 0.05
        return (YAMArmGoal(target: far ? .posture(pre, seed: nil) : .pose(pre), gripper: 0), isLeft ? .leftApproach : .rightApproach)
    }

    // MARK: Goals

    /// The goal of the arm holding the card that brings the card to `card` (through the
    /// current in-hand pose: closed loop on the card itself, whatever slipped).
    private func carryTo(_ card: MJPose, _ s: Situation, speed: Double = 1) -> YAMArmGoal {
        carry(Self.left, card, s, speed: speed)
    }

    private func carry(_ arm: Int, _ card: MJPose, _ s: Situation, speed: Double = 1) -> YAMArmGoal {
        let inHand = s.sites[arm].relative(to: s.truth.card)
        let site = MJPose(position: card.position + card.rotation * inHand.position, rotation: card.rotation * inHand.rotation)
        return YAMArmGoal(target: .pose(site), gripper: 1, speedScale: speed, payload: payload(arm, s))
    }

    /// The card as the payload of `arm`'s grasp site.
    private func payload(_ arm: Int, _ s: Situation) -> (massKg: Double, offsetM: SIMD3<Double>) {
        (Self.cardMassKg, s.truth.card.relative(to: s.sites[arm]).position)
    }

    static let cardMassKg = 0.1

    private func hold(_ arm: Int, _ s: Situation) -> YAMArmGoal {
        YAMArmGoal(target: .hold, gripper: s.truth.holds[arm] ? 1 : 0)
    }

    /// Gripper open; near the card, back off along the approach; else home (or stay).
    private func retreat(_ arm: Int, _ s: Situation, thenHome: Bool = true) -> YAMArmGoal {
        let site = s.sites[arm]
        let approach = site.rotation * SIMD3<Double>(0, 0, 1)
        if length(site.position - s.truth.card.position) < 0.14 {
            return YAMArmGoal(target: .pose(MJPose(position: site.position - 0.06 * approach, rotation: site.rotation)), gripper: 0)
        }
        return YAMArmGoal(target: thenHome ? .joints(homeRad) : .hold, gripper: 0)
    }

    // MARK: Geometry

    /// The card upright (height vertical, length along world x), keeping which way its own
    /// axes point.
    private func upright(like card: MJPose) -> MJRotationMatrix {
        let length = card.rotation * SIMD3<Double>(1, 0, 0), height = card.rotation * SIMD3<Double>(0, 0, 1)
        return Self.rotation(x: SIMD3(length.x >= 0 ? 1 : -1, 0, 0), z: SIMD3(0, 0, height.z >= 0 ? 1 : -1))
    }

    /// A grasp-site orientation: z along `approach`, y along ±`closing` (the sign nearer the
    /// site's current y, so the wrist turns the short way; the fingers are symmetric).
    private func toolRotation(approach: SIMD3<Double>, closing: SIMD3<Double>, like site: MJPose) -> MJRotationMatrix {
        let z = normalize(approach)
        var y = normalize(closing - (closing * z).sum() * z)
        if (y * (site.rotation * SIMD3<Double>(0, 1, 0))).sum() < 0 { y = -y }
        return Self.rotation(y: y, z: z)
    }

    /// The rotation with these x and z axes (orthonormal).
    static func rotation(x: SIMD3<Double>, z: SIMD3<Double>) -> MJRotationMatrix {
        columns(x, cross(z, x), z)
    }

    /// The rotation with these y and z axes (orthonormal).
    static func rotation(y: SIMD3<Double>, z: SIMD3<Double>) -> MJRotationMatrix {
        columns(cross(y, z), y, z)
    }

    static func columns(_ x: SIMD3<Double>, _ y: SIMD3<Double>, _ z: SIMD3<Double>) -> MJRotationMatrix {
        MJRotationMatrix(row0: [x.x, y.x, z.x], row1: [x.y, y.y, z.y], row2: [x.z, y.z, z.z])
    }
}

fileprivate func length(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }
fileprivate func normalize(_ v: SIMD3<Double>) -> SIMD3<Double> { v / max(length(v), 1e-12) }
fileprivate func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
