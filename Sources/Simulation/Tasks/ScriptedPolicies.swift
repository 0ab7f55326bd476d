import Foundation
import Wire

/// The base policies `pld sim` serves over the openpi protocol, one per scene. They read the
/// simulator's ground truth instead of the observation's pixels (a stand-in for a VLA, not a
/// model of one) and answer with an action chunk in the scene's action space.
enum ScriptedPolicies {
    /// franka-cube: ``FrankaCubeScript`` from the cube task's ground truth; `(steps, 7)` float32.
    static func frankaCube(task: FrankaCubeTask, script: FrankaCubeScript, steps: Int) -> OpenPIPolicyServer.Handler {
        { _ in
            let truth = task.groundTruth()
            let rows = script.chunk(ee: truth.ee, gripperWidthM: truth.gripperWidthM, cube: truth.cube, steps: steps)
            return ["actions": .array(try OpenPIArray(rows.flatMap { $0.map(Float.init) }, shape: [steps, 7]))]
        }
    }

    /// yam-gpu-insertion: ``YAMGPUInsertionPolicy`` for the stage the observation's
    /// `promptKey` entry names (absent or unknown: inferred from the ground truth); `(steps, 14)`
    /// float32 absolute joint targets and grippers.
    static func yamGPUInsertion(policy: YAMGPUInsertionPolicy, promptKey: String, steps: Int) -> OpenPIPolicyServer.Handler {
        { observation in
            let rows = policy.chunk(prompt: observation[promptKey]?.stringValue, steps: steps)
            return ["actions": .array(try OpenPIArray(rows.flatMap { $0.map(Float.init) }, shape: [steps, 14]))]
        }
    }

    /// Holds every arm where it is — absolute joint targets equal to the measured joints,
    /// gripper unchanged; `(steps, 7 × arms)`. For PLD-arm scenes without a script.
    static func yamHold(plants: [YAMPhysics], steps: Int) -> OpenPIPolicyServer.Handler {
        { _ in
            var row: [Float] = []
            for plant in plants {
                let state = plant.readState()
                row += state.q.map(Float.init) + [Float(state.gripperPosition)]
            }
            let rows = Array(repeating: row, count: steps).flatMap { $0 }
            return ["actions": .array(try OpenPIArray(rows, shape: [steps, row.count]))]
        }
    }
}
