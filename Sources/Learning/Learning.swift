// Learning: MLP layers with gradients, replay buffers and the SAC / Cal-QL residual learner
// (arriving with the probe issue). It runs off the control thread, in its own thread or process.
public enum Learning {}
