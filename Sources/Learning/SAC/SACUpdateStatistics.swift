/// What one `SACLearner.update()` (or warm-start step) measured: the last critic step's losses
/// and the actor step's. Plain values; no allocation.
public struct SACUpdateStatistics: Sendable, Equatable {
    /// Σ over both critics of TD + CQL terms, last critic step.
    public var criticLoss: Float = 0
    /// Σ over both critics of mean (Q − y)².
    public var tdLoss: Float = 0
    /// Σ over both critics of the CQL term (0 when off).
    public var cqlLoss: Float = 0
    /// Mean of Q₁ over the batch's data actions.
    public var meanQ: Float = 0
    /// Mean TD target y.
    public var meanTarget: Float = 0
    /// mean(α log π − min Q) of the actor step.
    public var actorLoss: Float = 0
    /// −mean log π of the actor step's samples.
    public var entropy: Float = 0
    /// α after the step.
    public var temperature: Float = 0
    /// Gradient norms before clipping.
    public var criticGradientNorm: Float = 0
    public var actorGradientNorm: Float = 0
    /// Share of Cal-QL policy-sample values raised to the Monte-Carlo return (0 without CQL).
    public var calibrationActiveFraction: Float = 0

    public init() {}
}
