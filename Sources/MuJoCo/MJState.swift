/// A saved simulation state: time, `qpos`, `qvel` and `act` — what is needed to resume a
/// simulation exactly (controls and applied forces are inputs, set them again).
///
/// Size one with ``init(model:)`` at start-up, then ``MJData/saveState(into:)`` and
/// ``MJData/restoreState(_:)`` copy without allocating.
public struct MJState: Hashable, Sendable {
    public var timeSeconds: Double
    public var qpos: [Double]
    public var qvel: [Double]
    public var act: [Double]

    /// Zero-filled storage sized for `model`.
    public init(model: MJModel) {
        timeSeconds = 0
        qpos = Array(repeating: 0, count: model.nq)
        qvel = Array(repeating: 0, count: model.nv)
        act = Array(repeating: 0, count: model.na)
    }
}

extension MJData {
    /// Copies the current time, qpos, qvel and act into `state` (sized for this model).
    public func saveState(into state: inout MJState) {
        state.timeSeconds = timeSeconds
        qpos.copy(into: &state.qpos)
        qvel.copy(into: &state.qvel)
        act.copy(into: &state.act)
    }

    /// The current state in fresh storage. Allocates.
    public func saveState() -> MJState {
        var state = MJState(model: model)
        saveState(into: &state)
        return state
    }

    /// Restores time, qpos, qvel and act from `state`, then ``forward()`` so poses, contacts and
    /// forces match the restored state.
    public func restoreState(_ state: MJState) {
        timeSeconds = state.timeSeconds
        qpos.assign(state.qpos)
        qvel.assign(state.qvel)
        act.assign(state.act)
        forward()
    }
}
