import PLDCore

/// Most values of a residual input x = [state features, base action] a learner step carries.
let learnerStepMaxInput = 256

/// One episode tick as the learner sees it, handed from the control thread through an SPSC
/// queue (inline storage: no allocation to push).
///
/// x is the residual's input at this tick (state features, then the base action, exactly what
/// `ResidualPolicy.act` was or would have been given), u the residual's pre-ξ action in
/// (−1, 1) (zero while the residual did not act), and reward / terminal the task's verdict on
/// this tick (PLD's sparse reward: 1 on the success step).
struct LearnerStep: Sendable {
    var episode: UInt64 = 0
    var step: Int32 = 0
    var x = InlineArray<256, Float>(repeating: 0)
    var xCount = 0
    var u = InlineArray<32, Float>(repeating: 0)
    var uCount = 0
    var residualActive = false
    /// The arm held (no chunk): the executed action was not base + residual.
    var stall = false
    var reward: Float = 0
    /// The episode ended on this tick; `terminal` says whether as a success (no bootstrap).
    var last = false
    var terminal = false
    /// The episode ended by an e-stop, a fault or an operator: its tail is not the policy's.
    var aborted = false
    /// Residual weights version that acted this episode.
    var residualVersion = 0
    /// The episode ran base-only for the learner's warm-up.
    var warmup = false
}
