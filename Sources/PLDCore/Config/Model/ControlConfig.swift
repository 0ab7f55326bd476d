/// The control tick: its rate, the episode length, and how the control thread is scheduled.
///
/// Contract: the tick rate must equal the rate the base policy's training data was recorded at
/// (a chunk trained at 15 fps played at 30 Hz moves the arm twice as fast).
public struct ControlConfig: Codable, Sendable, Equatable, ConfigSection {
    /// Control tick rate, Hz. Required. Valid range (0, 1000].
    public var rateHz: Double
    /// Ticks per episode before it ends as a timeout. Required.
    public var maxEpisodeSteps: Int
    public var realtime = RealtimeConfig()

    /// Tick period, s.
    public var periodS: Double { 1 / rateHz }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rateHz = try c.required(.rateHz)
        maxEpisodeSteps = try c.required(.maxEpisodeSteps)
        realtime = try c.value(.realtime, default: realtime)
    }

    public func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(rateHz, .leftOpen(0, 1000), path["rate_hz"], unit: "Hz")
        v.range(maxEpisodeSteps, .closed(1, 10_000_000), path["max_episode_steps"])
        realtime.validate(at: path["realtime"], periodS: rateHz > 0 ? periodS : 0, into: &v)
    }
}

/// Scheduling of the control thread. Off by default, so an unprivileged `pld run` works; turn
/// on for real arms (needs CAP_SYS_NICE / rtprio limits and CAP_IPC_LOCK for mlockall).
public struct RealtimeConfig: Codable, Sendable, Equatable {
    /// Run the control thread under SCHED_FIFO.
    public var schedFifo = false
    /// SCHED_FIFO priority, 1…99 (ros2_control uses 50; keep below kernel IRQ threads).
    public var priority = 80
    /// CPUs the control thread may run on; empty = no pinning.
    public var cpuAffinity: [Int] = []
    /// Lock all pages in memory so the tick never page-faults.
    public var mlockall = false
    /// Sleep until this long before each deadline, then busy-wait, µs. 0 = never spin.
    public var spinBeforeDeadlineUs: Double = 0

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schedFifo = try c.value(.schedFifo, default: schedFifo)
        priority = try c.value(.priority, default: priority)
        cpuAffinity = try c.value(.cpuAffinity, default: cpuAffinity)
        mlockall = try c.value(.mlockall, default: mlockall)
        spinBeforeDeadlineUs = try c.value(.spinBeforeDeadlineUs, default: spinBeforeDeadlineUs)
    }

    func validate(at path: ConfigPath, periodS: Double, into v: inout ConfigValidator) {
        v.range(priority, .closed(1, 99), path["priority"])
        for (index, cpu) in cpuAffinity.enumerated() {
            v.range(cpu, .closed(0, 1023), path["cpu_affinity"][index])
        }
        if Set(cpuAffinity).count != cpuAffinity.count {
            v.fail(path["cpu_affinity"], "lists a CPU more than once")
        }
        if periodS > 0 {
            v.range(spinBeforeDeadlineUs, .rightOpen(0, periodS * 1e6), path["spin_before_deadline_us"], unit: "µs (less than the tick period)")
        }
    }
}
