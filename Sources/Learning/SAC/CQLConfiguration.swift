/// The conservative (CQL) critic regulariser with Cal-QL's calibration.
///
/// Per critic Q and data row (x, u, mcReturn), with N uniform actions a_k ~ U(−1, 1)ᴬ and N
/// current-policy samples a′_k ~ π(·|x) (no gradient into the actor):
///
///     L = weight · mean_rows( τ · logsumexp_k( [ (Q(x, a_k) + A·log 2) / τ ,
///                                               (max(Q(x, a′_k), mcReturn) − log π(a′_k|x)) / τ ] )
///                             − Q(x, u) )
///
/// (importance-sampled as in CQL/Cal-QL: each sample's Q minus its log density; τ is the CQL
/// temperature, 1). The max with the Monte-Carlo return is Cal-QL's calibration: policy-action
/// values are not pushed below the data's actual return. (Cal-QL's reference code also adds N
/// policy samples at the next state x′; this term uses uniform and current-state samples only.)
/// Cost: the critics see B · (1 + 2N) rows per step instead of B — a warm-start step at N = 10
/// costs about ten online steps (`pld bench learner`).
public struct CQLConfiguration: Sendable, Equatable {
    /// CQL's α (Cal-QL: 5). 0 turns the term off everywhere.
    public var weight = 5.0
    /// N: uniform samples and policy samples per state (each).
    public var actionSamples = 10
    /// CQL's logsumexp temperature τ.
    public var temperature = 1.0
    /// Cal-QL's lower bound (false: plain CQL).
    public var calibrated = true
    /// Keep the term in online updates after the warm start (default off: warm start only).
    public var duringOnline = false

    public init() {}

    var enabled: Bool { weight > 0 }
}
