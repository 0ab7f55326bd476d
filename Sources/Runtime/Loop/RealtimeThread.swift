import Foundation
import PLDCore
#if canImport(Glibc)
import Glibc
#endif

/// Scheduling the control thread asks for (from `control.realtime` in the robot config).
public struct RealtimeOptions: Sendable, Equatable {
    /// SCHED_FIFO at `priority` (needs CAP_SYS_NICE or an rtprio limit); otherwise the thread
    /// runs at normal priority and a warning says so.
    public var schedFIFO = false
    public var priority: Int32 = 80
    /// CPUs the thread may run on; empty = no pinning.
    public var cpuAffinity: [Int] = []
    /// mlockall(MCL_CURRENT | MCL_FUTURE) so the tick never page-faults.
    public var mlockall = false
    /// Sleep until this long before each deadline, then busy-wait the rest, ns.
    public var spinBeforeDeadlineNanos: UInt64 = 0

    public init() {}

    public init(config: RealtimeConfig) {
        schedFIFO = config.schedFifo
        priority = Int32(config.priority)
        cpuAffinity = config.cpuAffinity
        mlockall = config.mlockall
        spinBeforeDeadlineNanos = UInt64(config.spinBeforeDeadlineUs * 1000)
    }
}

/// Applies `options` to the calling thread. Returns one warning line per request the OS refused
/// (the loop still runs: a robot PC without rtprio gets normal scheduling, loudly).
func applyRealtimeOptions(_ options: RealtimeOptions) -> [String] {
    var warnings: [String] = []
    if options.mlockall && Glibc.mlockall(MCL_CURRENT | MCL_FUTURE) != 0 {
        warnings.append("mlockall failed (\(String(cString: strerror(errno)))); pages may fault on the control thread")
    }
    if !options.cpuAffinity.isEmpty {
        var set = cpu_set_t()
        withUnsafeMutableBytes(of: &set) { bytes in
            for cpu in options.cpuAffinity where cpu >= 0 && cpu < bytes.count * 8 {
                bytes[cpu / 8] |= UInt8(1 << (cpu % 8))
            }
        }
        // sched_setaffinity(0, …) pins the calling thread (a GNU extension Glibc's module map
        // does not export, hence the declaration below).
        let rc = withUnsafePointer(to: &set) { linux_sched_setaffinity(0, MemoryLayout<cpu_set_t>.size, $0) }
        if rc != 0 { warnings.append("CPU pinning to \(options.cpuAffinity) failed (\(String(cString: strerror(errno))))") }
    }
    if options.schedFIFO {
        var parameter = sched_param(sched_priority: options.priority)
        let rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameter)
        if rc != 0 {
            warnings.append(
                "SCHED_FIFO priority \(options.priority) refused (\(String(cString: strerror(rc)))); the control thread runs at normal priority. Grant rtprio (e.g. /etc/security/limits.d) for realtime scheduling.")
        }
    }
    return warnings
}

@_silgen_name("sched_setaffinity")
private func linux_sched_setaffinity(_ pid: pid_t, _ size: Int, _ mask: UnsafePointer<cpu_set_t>) -> Int32
