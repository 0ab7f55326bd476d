/// A saved simulation state: time, `qpos`, `qvel`, `act`, and the constraint solver's warm
/// start (`qacc_warmstart`), so a restored simulation replays bit for bit under the same
/// controls (controls and applied forces are inputs: set them again).
///
/// Size one with ``init(model:)`` at start-up, then ``MJData/saveState(into:)`` and
/// ``MJData/restoreState(_:)`` copy without allocating.
public struct MJState: Hashable, Sendable {
    public var timeSeconds: Double
    public var qpos: [Double]
    public var qvel: [Double]
    public var act: [Double]
    /// The solver's starting guess for the next step (`qacc_warmstart`, nv). Without it a
    /// replay differs in the last bits.
    public var qaccWarmstart: [Double]

    /// Zero-filled storage sized for `model`.
    public init(model: MJModel) {
        timeSeconds = 0
        qpos = Array(repeating: 0, count: model.nq)
        qvel = Array(repeating: 0, count: model.nv)
        act = Array(repeating: 0, count: model.na)
        qaccWarmstart = Array(repeating: 0, count: model.nv)
    }
}

extension MJData {
    /// Copies the current time, qpos, qvel, act and warm start into `state` (sized for this
    /// model). No allocation.
    public func saveState(into state: inout MJState) {
        state.timeSeconds = timeSeconds
        qpos.copy(into: &state.qpos)
        qvel.copy(into: &state.qvel)
        act.copy(into: &state.act)
        qaccWarmstart.copy(into: &state.qaccWarmstart)
    }

    /// The current state in fresh storage. Allocates.
    public func saveState() -> MJState {
        var state = MJState(model: model)
        saveState(into: &state)
        return state
    }

    /// Restores time, qpos, qvel, act and warm start from `state`, then ``forward()`` so poses,
    /// contacts and forces match the restored state.
    public func restoreState(_ state: MJState) {
        timeSeconds = state.timeSeconds
        qpos.assign(state.qpos)
        qvel.assign(state.qvel)
        act.assign(state.act)
        qaccWarmstart.assign(state.qaccWarmstart)
        forward()
    }
}
