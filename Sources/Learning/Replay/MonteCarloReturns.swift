/// Discounted Monte-Carlo returns G_t = r_t + γ G_{t+1} from each step to the episode's end
/// (G after the last step is 0) — Cal-QL's lower bound on Q for the data's policy.
public enum MonteCarloReturns {
    public static func compute(rewards: [Float], discount: Float) -> [Float] {
        var returns = [Float](repeating: 0, count: rewards.count)
        var g: Float = 0
        for t in rewards.indices.reversed() {
            g = rewards[t] + discount * g
            returns[t] = g
        }
        return returns
    }
}
