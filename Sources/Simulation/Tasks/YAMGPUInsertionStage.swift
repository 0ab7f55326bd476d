import Foundation

/// The four stages of the YAM GPU-insertion cycle (method-and-safety.md §1.6), in the order of
/// `RobotConfigs/yam_sim_gpu_insertion.yaml`'s stage machine, with the prompts it sends.
public enum YAMGPUInsertionStage: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Pick the card up from the table and insert it into slot 1 (the left arm ends holding it).
    case insertSlot1 = 1
    /// Pull it out of slot 1 and hold it at the hover point above slot 3.
    case moveToSlot3 = 2
    /// Insert it into slot 3.
    case insertSlot3 = 3
    /// Pull it out of slot 3 and put it back on the table.
    case returnToTable = 4

    /// The stage machine's prompt for this stage (the openpi observation's `prompt`).
    public var prompt: String {
        switch self {
        case .insertSlot1: "pick up the GPU and insert it into slot 1"
        case .moveToSlot3: "pull the GPU out of slot 1 and hold it above slot 3"
        case .insertSlot3: "insert the GPU into slot 3"
        case .returnToTable: "pull the GPU out of slot 3 and put it back on the table"
        }
    }

    public var description: String { "stage \(rawValue) (\(prompt))" }

    /// The stage whose prompt this is (ignoring case and surrounding white space), or nil.
    public init?(prompt: String) {
        let normalised = prompt.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard let stage = Self.allCases.first(where: { $0.prompt.lowercased() == normalised }) else { return nil }
        self = stage
    }

    /// Whether this stage's success rule (the shipped config's classifier on `task_state`)
    /// holds in `truth`.
    public func isDone(in truth: YAMGPUInsertionTruth) -> Bool {
        switch self {
        case .insertSlot1: truth.slot1DepthM >= 0.008
        case .moveToSlot3: truth.hoverDistanceM < 0.01 && truth.taskState[3] > 0.5
        case .insertSlot3: truth.slot3DepthM >= 0.008
        case .returnToTable: truth.onTable && truth.taskState[3] < 0.5
        }
    }

    /// The stage the ground truth suggests when the request names none (or an unknown one):
    /// the card in slot 3 → return it; in slot 1 → move it; held by the left arm nearer slot 3's
    /// hover point than slot 1's → insert it into slot 3; anything else → start the cycle.
    public init(inferredFrom truth: YAMGPUInsertionTruth) {
        if truth.slot3DepthM > 0.004 {
            self = .returnToTable
        } else if truth.slot1DepthM > 0.004 {
            self = .moveToSlot3
        } else if truth.holds[0] && !truth.holds[1] {
            let card = truth.card.position
            let toSlot1 = card - truth.slotFloors[0], toSlot3 = card - truth.slotFloors[2]
            let horizontal1 = (toSlot1.x * toSlot1.x + toSlot1.y * toSlot1.y).squareRoot()
            let horizontal3 = (toSlot3.x * toSlot3.x + toSlot3.y * toSlot3.y).squareRoot()
            self = horizontal3 < horizontal1 ? .insertSlot3 : .insertSlot1
        } else {
            self = .insertSlot1
        }
    }
}
