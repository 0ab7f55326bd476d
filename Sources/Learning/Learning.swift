// Learning: the residual policy's trainer (PLD's "Probe" stage), off the control thread.
//
// - Layers (`Layers/`): Linear, LayerNorm, tanh / ReLU and an MLP of them, forward and backward on
//   row-major float32 minibatches through OpenBLAS `sgemm` (one thread); parameters and gradients
//   in flat buffers, activations in workspaces allocated once.
// - Optimisation (`Optimization/`): Adam / AdamW and global-norm gradient clipping.
// - Replay (`Replay/`): fixed-capacity ring buffers and RLPD's symmetric offline/online sampling.
// - SAC (`SAC/`): `SACLearner`, a tanh-Gaussian residual actor with a clipped double-Q critic,
//   automatic temperature, a Cal-QL conservative warm start, export to the runtime's
//   `residual-mlp/1` file and full checkpoints.
//
// Threads: everything here belongs to the learner thread (one thread at a time); the control
// thread never calls into this module. It acts through `Policies.ResidualPolicy` loaded from the
// file `SACLearner.writeResidual(toFile:)` writes.

/// Namespace for module-level facts.
public enum Learning {
    /// Sets OpenBLAS to one thread for the process (the learner does this itself; the residual
    /// on the control thread needs it too).
    public static func useSingleThreadedBLAS() { Matrix.useOneThread() }
}
