/// A policy configuration the worker cannot run with, found when it is built (before any
/// connection), e.g. an input whose width is unknown. One line naming the config field.
public struct PolicySetupError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
