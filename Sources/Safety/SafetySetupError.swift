/// Why a `SafetyChain` could not be built from a configuration: one line naming the arm and the
/// field at fault. Thrown by `SafetyChain.init` only (never on the control thread).
public struct SafetySetupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The arm concerned, when there is one.
    public var arm: String?
    public var message: String

    public init(arm: String? = nil, _ message: String) {
        self.arm = arm
        self.message = message
    }

    public var description: String { arm.map { "safety: arm `\($0)`: \(message)" } ?? "safety: \(message)" }
}
