import Foundation
@testable import Learning
import Testing

/// `ReplayBuffer.appendEpisode(nStep:)` against sums written out from the definition:
/// r = Σ_{k<m} γᵏ r_{t+k} with m = min(n, T − t), x′ = x_{t+m}, done iff the episode terminated
/// at t + m = T; a cut (not terminated) episode keeps only the rows with a full n steps.
@Suite struct NStepReplayTests {
    static let discount: Float = 0.9
    /// x_t = [t, 10 t] (so x′ names the step it came from), u_t = [t / 100], r_t distinct.
    static let steps = 6
    static let inputs: [[Float]] = (0...steps).map { [Float($0), 10 * Float($0)] }
    static let actions: [[Float]] = (0..<steps).map { [Float($0) / 100] }
    static let rewards: [Float] = [0.5, -1, 0, 2, 0.25, 1]

    static func stored(nStep: Int, terminated: Bool) -> [Transition] {
        let buffer = ReplayBuffer(capacity: 64, inputDimensions: 2, actionDimensions: 1)
        let count = buffer.appendEpisode(inputs: inputs, actions: actions, rewards: rewards, terminated: terminated,
                                         discount: discount, nStep: nStep)
        #expect(count == buffer.count)
        return (0..<buffer.count).map { buffer.transition(at: $0) }
    }

    @Test(arguments: [1, 2, 3, 6, 10])
    func terminatedEpisodesKeepEveryStepWithRewardsSummedToTheEnd(nStep: Int) {
        let rows = Self.stored(nStep: nStep, terminated: true)
        #expect(rows.count == Self.steps)
        for (t, row) in rows.enumerated() {
            let span = min(nStep, Self.steps - t)
            var expected: Double = 0
            for k in 0..<span { expected += pow(Double(Self.discount), Double(k)) * Double(Self.rewards[t + k]) }
            #expect(abs(Double(row.reward) - expected) < 1e-5, "t \(t): reward \(row.reward), expected \(expected)")
            #expect(row.input == Self.inputs[t] && row.action == Self.actions[t])
            #expect(row.nextInput == Self.inputs[t + span], "t \(t): x′ \(row.nextInput)")
            #expect(row.done == (t + span == Self.steps), "t \(t): done \(row.done)")
        }
    }

    @Test(arguments: [1, 2, 4])
    func cutEpisodesDropTheRowsWithoutNStepsAndAreNeverDone(nStep: Int) {
        let rows = Self.stored(nStep: nStep, terminated: false)
        #expect(rows.count == Self.steps - nStep + 1)
        for (t, row) in rows.enumerated() {
            #expect(!row.done)
            #expect(row.nextInput == Self.inputs[t + nStep])
        }
    }

    /// The Cal-QL bound stays the full Monte-Carlo return from t, whatever n is.
    @Test func monteCarloReturnsDoNotDependOnN() {
        let one = Self.stored(nStep: 1, terminated: true).map(\.monteCarloReturn)
        let three = Self.stored(nStep: 3, terminated: true).map(\.monteCarloReturn)
        #expect(one == three)
        var g: Float = 0
        for t in (0..<Self.steps).reversed() { g = Self.rewards[t] + Self.discount * g }
        #expect(abs(one[0] - g) < 1e-5)
    }
}
