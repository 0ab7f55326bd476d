import PLDCore

/// A reward classifier made of comparisons over named observation values (`kind: rules`):
/// the score is 1 when every rule holds, else 0. Rules name a source and an element index
/// (`feature.cube_pose`, index 2 → the cube's height).
///
/// Control thread: `score` reads values through a non-escaping closure the caller provides;
/// no allocation.
public struct RulesClassifier: Sendable {
    public let name: String
    public let rules: [ClassifierRule]

    public init(config: ClassifierConfig) {
        name = config.name
        rules = config.rules ?? []
    }

    /// 1 when every rule holds (and there is at least one), 0 otherwise. A non-finite value makes
    /// its rule false: an unknown reading never counts as success.
    public func score(_ value: (ObservationSource, Int) -> Double) -> Double {
        guard !rules.isEmpty else { return 0 }
        // Indexed: an iterator can allocate a coroutine frame in unoptimised builds, and this
        // runs on the control thread every tick.
        for k in 0..<rules.count {
            let rule = rules[k]
            let v = value(rule.source, rule.index)
            guard v.isFinite else { return 0 }
            let holds: Bool
            switch rule.op {
            case .lt: holds = v < rule.value
            case .le: holds = v <= rule.value
            case .gt: holds = v > rule.value
            case .ge: holds = v >= rule.value
            }
            if !holds { return 0 }
        }
        return 1
    }
}

/// Success that must hold for `debounceTicks` consecutive ticks at a score ≥ `threshold`, and
/// then stays latched until `reset` (HIL-SERL's latching: a flickering score does not unlatch).
public struct SuccessLatch: Sendable {
    public let threshold: Double
    public let debounceTicks: Int
    public private(set) var consecutive = 0
    public private(set) var latched = false

    public init(threshold: Double, debounceTicks: Int) {
        self.threshold = threshold
        self.debounceTicks = max(1, debounceTicks)
    }

    /// Feeds one tick's score; returns whether success is latched.
    @discardableResult
    public mutating func update(score: Double) -> Bool {
        if latched { return true }
        consecutive = score >= threshold ? consecutive + 1 : 0
        if consecutive >= debounceTicks { latched = true }
        return latched
    }

    public mutating func reset() {
        consecutive = 0
        latched = false
    }
}
