/// One minibatch of transitions in row-major blocks ([rows, input], [rows, action], [rows]),
/// allocated once at the learner's batch size and refilled by sampling.
///
/// Thread: owned by the learner thread; not synchronised.
final class TransitionBatch {
    let rows: Int
    let inputDimensions: Int
    let actionDimensions: Int
    let inputs: UnsafeMutablePointer<Float>
    let actions: UnsafeMutablePointer<Float>
    let rewards: UnsafeMutablePointer<Float>
    let nextInputs: UnsafeMutablePointer<Float>
    let dones: UnsafeMutablePointer<Float>
    let monteCarloReturns: UnsafeMutablePointer<Float>

    init(rows: Int, inputDimensions: Int, actionDimensions: Int) {
        self.rows = rows
        self.inputDimensions = inputDimensions
        self.actionDimensions = actionDimensions
        func make(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        inputs = make(rows * inputDimensions)
        actions = make(rows * actionDimensions)
        rewards = make(rows)
        nextInputs = make(rows * inputDimensions)
        dones = make(rows)
        monteCarloReturns = make(rows)
    }

    deinit {
        for p in [inputs, actions, rewards, nextInputs, dones, monteCarloReturns] { p.deallocate() }
    }

    /// Fills the batch RLPD-style: half the rows from `offline`, half from `online` (the odd row
    /// from online); every row from one buffer when the other is empty. `offline` nil: online
    /// only. False when there is nothing to sample.
    func fillSymmetric(offline: ReplayBuffer?, online: ReplayBuffer?, random: inout LearnerRandom) -> Bool {
        let offlineCount = offline?.count ?? 0, onlineCount = online?.count ?? 0
        switch (offlineCount > 0, onlineCount > 0) {
        case (false, false): return false
        case (true, false): offline!.sample(rows: rows, into: self, at: 0, random: &random)
        case (false, true): online!.sample(rows: rows, into: self, at: 0, random: &random)
        case (true, true):
            let fromOffline = rows / 2
            offline!.sample(rows: fromOffline, into: self, at: 0, random: &random)
            online!.sample(rows: rows - fromOffline, into: self, at: fromOffline, random: &random)
        }
        return true
    }
}
