import Foundation
import PLDCore
import Recording
import TestSupport
import Testing

/// A scratch run directory, removed by `remove()`.
struct ScratchRun {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("pld-run-\(UUID().uuidString.prefix(8))").path
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    static let identity = RunIdentity(
        configName: "unit_cell", configHash: String(repeating: "ab", count: 32), robotType: "franka",
        configBytes: Array("name: unit_cell\n".utf8), softwareVersion: "test")

    func open(identity: RunIdentity = ScratchRun.identity) throws -> RunDirectory {
        try RunDirectory(path: path, identity: identity)
    }
}

/// Deterministic RGB frames: pixel (x, y) of frame `sequence` is (x + s, y + 2s, 3s) mod 256.
struct PatternFrames: CameraFrameSource {
    var width: Int
    var height: Int
    /// Sequences this source pretends it no longer holds.
    var forgotten: Set<UInt64> = []

    func recordedFrame(camera: String, sequence: UInt64) -> (rgb: [UInt8], width: Int, height: Int)? {
        guard !forgotten.contains(sequence) else { return nil }
        return (Self.frame(sequence: sequence, width: width, height: height), width, height)
    }

    static func frame(sequence: UInt64, width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let s = Int(sequence)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                rgb[i] = UInt8((x + s) & 255)
                rgb[i + 1] = UInt8((y + 2 * s) & 255)
                rgb[i + 2] = UInt8((3 * s) & 255)
            }
        }
        return rgb
    }
}

enum RecordingFixtures {
    static func layout(camera: (Int, Int)? = (32, 24), speed: Double = 1) throws -> RecordingLayout {
        try RecordingLayout(
            arms: [.init(name: "franka", jointCount: 7, hasGripper: true, isEndEffectorDelta: true)],
            actionNames: ["dx", "dy", "dz", "rx", "ry", "rz", "gripper"].map { "franka.\($0)" },
            cameras: camera.map { [.init(name: "wrist", width: $0.0, height: $0.1)] } ?? [],
            features: [.init(name: "cube", dims: 3, labels: ["x_m", "y_m", "z_m"])],
            classifierNames: ["lifted"],
            safetyKindNames: ["non_finite_action", "action_clamped", "step_capped"],
            safetyStageNames: ["non_finite_rejection", "state_stale", "action_box"],
            fps: 20, speed: speed)
    }

    static let metadata = RecordingMetadata(
        prompt: "pick up the red cube", robotType: "franka", configName: "unit_cell",
        configHash: String(repeating: "ab", count: 32), calibrationHash: "cd", residualHash: "zero-init", xi: 0.5,
        alpha: 0.6, handoffSeed: 7, residualSeed: 3, softwareVersion: "test", policyMetadataJSON: { #"{"scene":"unit"}"# })

    /// A tick record whose every value is a function of `step` (so a reader can recompute it).
    static func record(step: Int, handoff: Int?) -> TickRecord {
        var r = TickRecord(actionWidth: 7)
        r.step = step
        r.tickNanos = 1_000_000_000 + UInt64(step) * 50_000_000
        let s = Double(step)
        for j in 0..<7 {
            r.arms[0].qRad[j] = 0.01 * s + Double(j)
            r.arms[0].dqRadPerS[j] = -0.001 * s * Double(j + 1)
        }
        r.arms[0].gripper = s / 100
        var pose = ArmStateFixture.identity
        pose[12] = 0.4 + 0.001 * s
        pose[13] = -0.1
        pose[14] = 0.3
        r.arms[0].eePose = pose
        for k in 0..<3 { r.features[k] = s + Double(k) / 10 }
        r.cameraSequences[0] = UInt64(10 + step / 2)
        for d in 0..<7 {
            r.baseAction[d] = 0.1 * Double(d) - 0.001 * s
            r.residualAction[d] = handoff.map { step >= $0 } == true ? 0.01 * Double(d + 1) : 0
            r.executedAction[d] = r.baseAction[d] + r.residualAction[d]
        }
        for k in 0..<7 { r.commands[0].values[k] = r.executedAction[k] * (k < 3 ? 0.05 : 1) }
        r.commands[0].hold = step % 10 == 9
        r.residualActive = handoff.map { step >= $0 } ?? false
        r.policyStall = step % 10 == 9
        r.classifierScores[0] = s / 1000
        if step % 7 == 3 {
            r.safetyEventTotal = 2
            r.safetyEventCount = 2
            r.safetyEvents[0] = RecordedSafetyEvent(kind: 1, stage: 2, arm: 0, element: 3, requested: 1.5, applied: 1)
            r.safetyEvents[1] = RecordedSafetyEvent(kind: 2, stage: 2, arm: 0, element: 0, requested: 0.03, applied: 0.02)
        }
        return r
    }
}

enum ArmStateFixture {
    static let identity: InlineArray<16, Double> = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
}

