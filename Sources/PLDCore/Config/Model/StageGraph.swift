/// The stages of a task as a graph, for the checks a stage list must pass at load time: every
/// stage reachable from the first, and every stage able to end the episode.
///
/// Edges: a stage's `on_success`, `on_failure` and `on_timeout` targets (`next` is the following
/// stage, or the end after the last one; a failed gate takes `on_failure`); `retry` re-enters
/// the stage and, once its retries are spent, fails (an exit); `restart` runs the reset and
/// enters the first stage; `succeed`, `fail` and `abort` end the episode.
public struct StageGraph: Sendable {
    public struct Problem: Sendable, Equatable {
        /// Index of the stage the message is about.
        public var stage: Int
        public var message: String
    }

    /// Successors of each stage (stage indices); `exits[i]`: stage i can end the episode
    /// directly.
    public let successors: [[Int]]
    public let exits: [Bool]
    public let names: [String]

    public init(stages: [StageConfig]) {
        names = stages.map(\.name)
        var successors: [[Int]] = []
        var exits: [Bool] = []
        for (index, stage) in stages.enumerated() {
            var next: [Int] = []
            var exit = false
            for transition in [stage.onSuccess, stage.onFailure, stage.onTimeout] {
                switch transition {
                case .next:
                    if index + 1 < stages.count { next.append(index + 1) } else { exit = true }
                case .retry:
                    next.append(index)
                    exit = true  // retries run out, then the stage fails the episode
                case .succeed, .fail, .abort:
                    exit = true
                case .restart:
                    if !stages.isEmpty { next.append(0) }
                case .stage(let name):
                    if let target = stages.firstIndex(where: { $0.name == name }) { next.append(target) }
                }
            }
            successors.append(next)
            exits.append(exit)
        }
        self.successors = successors
        self.exits = exits
    }

    /// Stages no transition reaches from the first stage, then stages from which no path ends
    /// the episode (a cycle with no way out), each with a one-line reason.
    public func problems() -> [Problem] {
        guard !names.isEmpty else { return [] }
        var problems: [Problem] = []
        // Reachable from stage 0.
        var reachable = [Bool](repeating: false, count: names.count)
        var stack = [0]
        reachable[0] = true
        while let stage = stack.popLast() {
            for next in successors[stage] where !reachable[next] {
                reachable[next] = true
                stack.append(next)
            }
        }
        for index in names.indices where !reachable[index] {
            problems.append(Problem(stage: index, message: "stage `\(names[index])` is unreachable: no transition from the first stage leads to it"))
        }
        // Can end the episode: exits, and every stage with a successor that can (fixed point).
        var canEnd = exits
        var changed = true
        while changed {
            changed = false
            for index in names.indices where !canEnd[index] && successors[index].contains(where: { canEnd[$0] }) {
                canEnd[index] = true
                changed = true
            }
        }
        for index in names.indices where reachable[index] && !canEnd[index] {
            let loop = cycle(from: index, within: canEnd)
            problems.append(Problem(
                stage: index,
                message: "stages \(loop.map { "`\(names[$0])`" }.joined(separator: " → ")) form a cycle with no way out: no transition reaches succeed, fail, abort or a retry"))
            // One message per cycle is enough: report only its first stage.
            if loop.first != index { problems.removeLast() }
        }
        return problems
    }

    /// A path from `start` around a cycle among stages that cannot end (for the message):
    /// follows first successors until a stage repeats, and starts the loop at its lowest index.
    private func cycle(from start: Int, within canEnd: [Bool]) -> [Int] {
        var path: [Int] = []
        var current = start
        while !path.contains(current) {
            path.append(current)
            guard let next = successors[current].first(where: { !canEnd[$0] }) else { return path }
            current = next
        }
        let loop = Array(path[path.firstIndex(of: current)!...])
        let lowest = loop.firstIndex(of: loop.min()!)!
        let rotated = Array(loop[lowest...] + loop[..<lowest])
        return rotated + [rotated[0]]
    }
}
