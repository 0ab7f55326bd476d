import Foundation
import MuJoCo

/// Something the physics thread runs every step, between `mj_step1` and `mj_step2`: reads the
/// fresh state of `data` and writes controls. Called with the world's lock held.
protocol WorldController: AnyObject {
    func control(_ data: MJData, dt: Double)
}

/// One MuJoCo scene stepping in sim time: the physics thread advances `data` to ``SimClock``'s
/// time in steps of the model's timestep, running every ``WorldController`` each step.
///
/// Threading: `data` is guarded by one lock. The physics thread holds it for a handful of steps
/// at a time; device threads (the simulated NUC and drivers) take it briefly through
/// ``withLock(_:)`` to read state or set goals; the camera thread copies a snapshot through
/// ``copyState(into:)``. If physics cannot keep up with `--speed` it lags behind the clock (the
/// arm then moves slower than commanded, as an overloaded robot PC would see it) and
/// ``realTimeFactor`` says so.
public final class SimWorld: @unchecked Sendable {
    // @unchecked: `data`, `controllers` and the counters are only touched with `lock` held.
    public let model: MJModel
    let data: MJData
    public let clock: SimClock
    private let lock = NSLock()
    private var controllers: [WorldController] = []
    private let running = LockedValue(false)
    private var thread: NodeThread?
    /// Steps taken and the wall time spent stepping, for the real-time factor.
    private var stepCount = 0
    private var wallStepSeconds = 0.0
    /// Steps per lock hold: small, so readers never wait long.
    private let stepsPerLock = 10

    /// Loads nothing: takes a loaded scene and starts it at `keyframe` (if the model has it).
    public init(model: MJModel, clock: SimClock, keyframe: String? = "home") throws(MuJoCoError) {
        self.model = model
        self.clock = clock
        data = try MJData(model: model)
        if let keyframe, model.keyframeNames.contains(keyframe) {
            try data.resetToKeyframe(named: keyframe)
        }
        data.forward()
    }

    func add(_ controller: WorldController) {
        lock.lock()
        controllers.append(controller)
        lock.unlock()
    }

    /// Runs `body` with exclusive access to the physics state.
    func withLock<T>(_ body: (MJData) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(data)
    }

    /// Copies the whole state into `target` (another `MJData` of the same model), e.g. for the
    /// renderer, which then computes kinematics on its own copy without holding the lock.
    public func copyState(into target: MJData) {
        lock.lock()
        target.copy(from: data)
        lock.unlock()
    }

    /// Sim time of the physics state, s.
    public var physicsTimeSeconds: Double { withLock { $0.timeSeconds } }

    /// Sim seconds simulated per wall second spent stepping (how much faster than real time the
    /// physics alone could run on this machine).
    public var realTimeFactor: Double {
        withLock { _ in wallStepSeconds > 0 ? Double(stepCount) * model.timestepSeconds / wallStepSeconds : 0 }
    }

    /// Advances physics by `count` model steps on the calling thread, running every
    /// ``WorldController`` each step exactly as the physics thread does, ignoring the clock.
    /// For in-process tests and tools that drive the scene deterministically; never call it
    /// while the physics thread runs (``start()``).
    public func step(count: Int) {
        precondition(!running.value, "SimWorld.step(count:) while the physics thread runs")
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<max(0, count) {
            data.step1()
            for controller in controllers { controller.control(data, dt: model.timestepSeconds) }
            data.step2()
        }
    }

    /// Starts the physics thread.
    public func start() {
        guard running.withLock({ running in
            defer { running = true }
            return !running
        }) else { return }
        thread = NodeThread(name: "pld-sim physics") { [self] in run() }
    }

    /// Stops the physics thread and waits for it.
    public func stop() {
        running.withLock { $0 = false }
        thread?.join()
    }

    private func run() {
        let dt = model.timestepSeconds
        while running.withLock({ $0 }) {
            let target = clock.now
            var stepped = 0
            lock.lock()
            let start = ContinuousClock.now
            while stepped < stepsPerLock && data.timeSeconds + dt <= target {
                data.step1()
                for controller in controllers { controller.control(data, dt: dt) }
                data.step2()
                stepped += 1
            }
            let elapsed = start.duration(to: ContinuousClock.now).components
            wallStepSeconds += Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
            stepCount += stepped
            let next = data.timeSeconds + dt
            lock.unlock()
            if stepped == 0 { clock.sleep(until: next) }
        }
    }
}
