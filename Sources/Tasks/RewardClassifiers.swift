import PLDCore

/// The remote end of a `kind: remote` classifier, as the control thread sees it. The runtime
/// implements it with a worker thread that does the ZeroMQ REQ/REP (Tasks does no I/O).
///
/// Contract: both calls come from the control thread, never block and never allocate.
public protocol RemoteScoreChannel: AnyObject, Sendable {
    /// This tick's numeric inputs (the classifier's non-camera sources, in order). The channel
    /// copies them; the worker sends the newest when its previous request is answered.
    func offer(_ values: UnsafeBufferPointer<Double>, nowNanos: UInt64)
    /// The newest score answered within the timeout and younger than it; NaN (unknown) when the
    /// service is down, late or said something malformed. Unknown is never success.
    func score(nowNanos: UInt64) -> Double
}

/// Every reward classifier of a run, scored once per tick into `scores` (index = position in
/// the config's `classifiers`; NaN = unknown).
///
/// Threading: built on any thread; `evaluate` and `scores` belong to the control thread.
/// `evaluate` does not allocate: inputs are gathered into a buffer reserved at setup.
public final class RewardClassifiers: @unchecked Sendable {
    // @unchecked: mutable buffers are owned by the control thread (see type doc).
    public enum Kind {
        case rules(RulesClassifier)
        case mlp(MLPClassifier)
        case remote(any RemoteScoreChannel)
    }

    /// A numeric input: a source and its width.
    public struct Input: Sendable {
        public var source: ObservationSource
        public var width: Int
        public init(source: ObservationSource, width: Int) {
            self.source = source
            self.width = width
        }
    }

    public let names: [String]
    public let kinds: [Kind]
    let inputs: [[Input]]
    /// This tick's scores, one per classifier.
    public let scores: UnsafeMutableBufferPointer<Double>
    private let gathered: UnsafeMutableBufferPointer<Double>

    /// - Parameters:
    ///   - classifiers: the config's classifiers with what runs each (`kinds[i]` for
    ///     `classifiers[i]`).
    ///   - width: width of a state source (arm field or feature), from the robot config.
    public init(names: [String], kinds: [Kind], inputs: [[Input]]) {
        precondition(names.count == kinds.count && names.count == inputs.count)
        self.names = names
        self.kinds = kinds
        self.inputs = inputs
        scores = .allocate(capacity: max(1, names.count))
        scores.initialize(repeating: .nan)
        let widest = inputs.map { $0.reduce(0) { $0 + $1.width } }.max() ?? 0
        gathered = .allocate(capacity: max(1, widest))
        gathered.initialize(repeating: 0)
    }

    deinit {
        scores.deallocate()
        gathered.deallocate()
    }

    /// No classifiers (a task without stages or success check).
    public static func none() -> RewardClassifiers { RewardClassifiers(names: [], kinds: [], inputs: []) }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// Scores every classifier for this tick. `value(source, index)` reads one element of an
    /// arm field or feature (NaN when unavailable). Control thread; no allocation.
    public func evaluate(nowNanos: UInt64, value: (ObservationSource, Int) -> Double) {
        for c in 0..<kinds.count {
            switch kinds[c] {
            case let .rules(rules):
                scores[c] = rules.score(value)
            case let .mlp(network):
                let count = gather(c, value)
                scores[c] = network.score(UnsafeBufferPointer(rebasing: gathered[0..<count]))
            case let .remote(channel):
                let count = gather(c, value)
                channel.offer(UnsafeBufferPointer(rebasing: gathered[0..<count]), nowNanos: nowNanos)
                scores[c] = channel.score(nowNanos: nowNanos)
            }
        }
    }

    /// Concatenates classifier `c`'s numeric inputs into `gathered`; returns the count.
    private func gather(_ c: Int, _ value: (ObservationSource, Int) -> Double) -> Int {
        var count = 0
        let list = inputs[c]
        for k in 0..<list.count {
            let input = list[k]
            for i in 0..<input.width {
                gathered[count] = value(input.source, i)
                count += 1
            }
        }
        return count
    }
}
