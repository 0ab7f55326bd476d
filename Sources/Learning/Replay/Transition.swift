/// One transition as plain arrays (appending from tests and tools; the runtime may use the
/// span-based `append`).
public struct Transition: Sendable, Equatable {
    public var input: [Float]
    public var action: [Float]
    public var reward: Float
    public var nextInput: [Float]
    public var done: Bool
    public var monteCarloReturn: Float

    public init(input: [Float], action: [Float], reward: Float, nextInput: [Float], done: Bool, monteCarloReturn: Float) {
        self.input = input
        self.action = action
        self.reward = reward
        self.nextInput = nextInput
        self.done = done
        self.monteCarloReturn = monteCarloReturn
    }
}
