// Simulation: `pld sim`, a separate process that stands in for the Franka NUC, the YAM driver
// nodes, cameras and the base VLA server with MuJoCo physics and the same wire protocols.
// The physics and simulated drivers arrive with the arms issue.

/// The scenes `pld sim --scene` accepts.
public enum SceneName: String, CaseIterable, Sendable {
    /// A Franka Panda, a table and a cube to pick up and lift (the `pld demo` default).
    case frankaCube = "franka-cube"
    /// Two YAM arms, a card-like part and a fixture with slots 1 and 3.
    case yamGPUInsertion = "yam-gpu-insertion"
}
