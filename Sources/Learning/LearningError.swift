/// A learner set-up failure (bad configuration or normaliser): one line saying what is wrong.
/// Checkpoint and export failures are `Policies.SafetensorsError`, like the residual loader's.
public struct LearningError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
