/// A fixed-capacity ring buffer of transitions (x, u, r, x′, done, mcReturn), float32, columns
/// in separate row-major blocks allocated once. When full, each append overwrites the oldest.
///
/// - x, x′: the actor's input [state features…, base action…] before and after the step (the
///   runtime builds them; x′ holds the base action of the next step).
/// - u: the residual action as the actor emitted it, before ξ: in (−1, 1) (0 for base-only
///   steps). Values outside [−1, 1] are refused.
/// - r: reward; done: the episode terminated at x′ (no bootstrap); a time-limit cut is not done.
/// - mcReturn: Σ_k γᵏ r_{t+k} from this step to the episode's end (Cal-QL's lower bound;
///   `MonteCarloReturns` computes it). Use −∞ where unknown: the bound is then inactive.
///
/// Thread: owned by the learner thread (fed from the runtime's queue there); not synchronised.
/// `append` and sampling do not allocate.
public final class ReplayBuffer: @unchecked Sendable {
    // @unchecked: confined to one thread at a time by the contract above; the pointers are
    // allocated in init and freed in deinit only.
    public let capacity: Int
    public let inputDimensions: Int
    public let actionDimensions: Int
    /// Transitions held (≤ capacity).
    public private(set) var count = 0
    /// Transitions ever appended (the ring's write position is `appended % capacity`).
    public private(set) var appended = 0
    /// Appends refused because a value was not finite (or u outside [−1, 1]).
    public private(set) var rejected = 0

    let inputs: UnsafeMutablePointer<Float>
    let actions: UnsafeMutablePointer<Float>
    let rewards: UnsafeMutablePointer<Float>
    let nextInputs: UnsafeMutablePointer<Float>
    let dones: UnsafeMutablePointer<Float>
    let monteCarloReturns: UnsafeMutablePointer<Float>

    public init(capacity: Int, inputDimensions: Int, actionDimensions: Int) {
        precondition(capacity > 0 && inputDimensions > 0 && actionDimensions > 0,
                     "ReplayBuffer: capacity \(capacity), input \(inputDimensions), action \(actionDimensions)")
        self.capacity = capacity
        self.inputDimensions = inputDimensions
        self.actionDimensions = actionDimensions
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        inputs = make(capacity * inputDimensions)
        actions = make(capacity * actionDimensions)
        rewards = make(capacity)
        nextInputs = make(capacity * inputDimensions)
        dones = make(capacity)
        monteCarloReturns = make(capacity)
    }

    deinit {
        for p in [inputs, actions, rewards, nextInputs, dones, monteCarloReturns] { p.deallocate() }
    }

    /// Appends one transition; false (and `rejected` counts it) when a value is not finite or u
    /// leaves [−1, 1] (mcReturn may be −∞). Precondition: the widths match the buffer's.
    @discardableResult
    public func append(
        input: Span<Float>, action: Span<Float>, reward: Float, nextInput: Span<Float>, done: Bool,
        monteCarloReturn: Float
    ) -> Bool {
        input.withUnsafeBufferPointer { x in
            action.withUnsafeBufferPointer { u in
                nextInput.withUnsafeBufferPointer { next in
                    append(input: x, action: u, reward: reward, nextInput: next, done: done, monteCarloReturn: monteCarloReturn)
                }
            }
        }
    }

    /// `append` from buffer pointers.
    @discardableResult
    public func append(
        input: UnsafeBufferPointer<Float>, action: UnsafeBufferPointer<Float>, reward: Float,
        nextInput: UnsafeBufferPointer<Float>, done: Bool, monteCarloReturn: Float
    ) -> Bool {
        let d = inputDimensions, a = actionDimensions
        precondition(input.count == d && nextInput.count == d && action.count == a,
                     "ReplayBuffer.append: widths \(input.count), \(action.count), \(nextInput.count); expected \(d), \(a), \(d)")
        var valid = reward.isFinite && !monteCarloReturn.isNaN && monteCarloReturn != .infinity
        for j in 0..<d where !(input[j].isFinite && nextInput[j].isFinite) { valid = false }
        for j in 0..<a where !(action[j] >= -1 && action[j] <= 1) { valid = false }
        guard valid else {
            rejected += 1
            return false
        }
        let row = appended % capacity
        for j in 0..<d {
            inputs[row * d + j] = input[j]
            nextInputs[row * d + j] = nextInput[j]
        }
        for j in 0..<a { actions[row * a + j] = action[j] }
        rewards[row] = reward
        dones[row] = done ? 1 : 0
        monteCarloReturns[row] = monteCarloReturn
        appended += 1
        count = min(count + 1, capacity)
        return true
    }

    /// `append` for a `Transition` value.
    @discardableResult
    public func append(_ t: Transition) -> Bool {
        append(input: t.input, action: t.action, reward: t.reward, nextInput: t.nextInput, done: t.done,
               monteCarloReturn: t.monteCarloReturn)
    }

    /// `append` from arrays.
    @discardableResult
    public func append(input: [Float], action: [Float], reward: Float, nextInput: [Float], done: Bool, monteCarloReturn: Float) -> Bool {
        input.withUnsafeBufferPointer { x in
            action.withUnsafeBufferPointer { u in
                nextInput.withUnsafeBufferPointer { next in
                    append(input: x, action: u, reward: reward, nextInput: next, done: done, monteCarloReturn: monteCarloReturn)
                }
            }
        }
    }

    /// Appends a whole episode: `inputs` has one more row than `actions` and `rewards` (the
    /// final x′); mcReturn is computed with `discount`. `terminated`: the last transition is
    /// done (false for a time-limit cut). Returns how many transitions were stored.
    ///
    /// `nStep` > 1 stores n-step transitions: r = Σ_{k<n} γᵏ r_{t+k}, x′ = x_{t+n}, done when
    /// the episode terminates within those n steps (then r sums to the end). The critic must
    /// bootstrap them with γⁿ (`SACConfiguration.nStep`). The last n − 1 steps of an episode
    /// that did not terminate have no x_{t+n} and are not stored. One reward then reaches n
    /// steps back per update instead of one: sparse success rewards at the end of a long
    /// episode propagate n times faster.
    @discardableResult
    public func appendEpisode(
        inputs xs: [[Float]], actions us: [[Float]], rewards rs: [Float], terminated: Bool, discount: Float, nStep: Int = 1
    ) -> Int {
        precondition(xs.count == us.count + 1 && rs.count == us.count, "appendEpisode: \(xs.count) inputs for \(us.count) actions, \(rs.count) rewards")
        precondition(nStep >= 1, "appendEpisode: nStep \(nStep) must be at least 1")
        let returns = MonteCarloReturns.compute(rewards: rs, discount: discount)
        let steps = us.count
        var stored = 0
        for t in 0..<steps {
            let span = min(nStep, steps - t)
            let reachesEnd = t + span == steps
            if span < nStep && !terminated { break }
            var reward: Float = 0
            var weight: Float = 1
            for k in 0..<span {
                reward += weight * rs[t + k]
                weight *= discount
            }
            if append(input: xs[t], action: us[t], reward: reward, nextInput: xs[t + span], done: terminated && reachesEnd,
                      monteCarloReturn: returns[t]) { stored += 1 }
        }
        return stored
    }

    /// Appends every transition `other` holds, oldest first (e.g. a buffer filled before the
    /// learner existed, from which the normaliser was estimated). Widths must match.
    public func append(contentsOf other: ReplayBuffer) {
        precondition(other.inputDimensions == inputDimensions && other.actionDimensions == actionDimensions,
                     "append(contentsOf:): widths \(other.inputDimensions), \(other.actionDimensions); expected \(inputDimensions), \(actionDimensions)")
        for i in 0..<other.count { append(other.transition(at: i)) }
    }

    /// The transition at `index` (0 = oldest held). Allocates (inspection and tests).
    public func transition(at index: Int) -> Transition {
        precondition(index >= 0 && index < count, "transition(at: \(index)) outside 0..<\(count)")
        let row = count < capacity ? index : (appended + index) % capacity
        let d = inputDimensions, a = actionDimensions
        return Transition(
            input: Array(UnsafeBufferPointer(start: inputs + row * d, count: d)),
            action: Array(UnsafeBufferPointer(start: actions + row * a, count: a)),
            reward: rewards[row], nextInput: Array(UnsafeBufferPointer(start: nextInputs + row * d, count: d)),
            done: dones[row] != 0, monteCarloReturn: monteCarloReturns[row])
    }

    /// After an exact restore (same capacity, rows in storage order): the ring's write
    /// position continues where the saved buffer's did.
    func restoreWritePosition(appended total: Int) {
        precondition(total >= count, "restoreWritePosition: \(total) appended but \(count) held")
        appended = total
    }

    /// Forgets every transition (storage kept).
    public func removeAll() {
        count = 0
        appended = 0
    }

    /// Copies `rows` transitions drawn uniformly with replacement into `batch` rows
    /// `start..<start + rows`. Precondition: the buffer is not empty.
    func sample(rows: Int, into batch: TransitionBatch, at start: Int, random: inout LearnerRandom) {
        precondition(count > 0, "sampling an empty replay buffer")
        let d = inputDimensions, a = actionDimensions
        for k in start..<(start + rows) {
            let row = random.nextIndex(below: count)
            (batch.inputs + k * d).update(from: inputs + row * d, count: d)
            (batch.nextInputs + k * d).update(from: nextInputs + row * d, count: d)
            (batch.actions + k * a).update(from: actions + row * a, count: a)
            batch.rewards[k] = rewards[row]
            batch.dones[k] = dones[row]
            batch.monteCarloReturns[k] = monteCarloReturns[row]
        }
    }
}
