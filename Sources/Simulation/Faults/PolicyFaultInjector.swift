import Foundation
import Synchronization

/// Applies the `policy-*` faults of `pld sim --fault` to the scripted base policy server: at each
/// fault's sim time it queues the fault for the server's next request
/// (`OpenPIPolicyServer.inject`). Stall durations are sim seconds, converted to wall time.
///
/// Threading: `start` and `stop` from the runner's thread; the schedule runs on its own thread.
final class PolicyFaultInjector: Sendable {
    private let schedule: [(atSeconds: Double, fault: PolicyServerFault, spec: String)]
    private let server: OpenPIPolicyServer
    private let clock: SimClock
    private let log: SimLog
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Nil when `faults` holds no policy fault.
    init?(faults: [SimFault], server: OpenPIPolicyServer, clock: SimClock, log: SimLog) {
        var schedule: [(Double, PolicyServerFault, String)] = []
        for fault in faults {
            switch fault {
            case .policyStall(let duration, let at):
                schedule.append((at, .stall(seconds: clock.wallSeconds(forSimSeconds: duration)), fault.description))
            case .policyError(let at):
                schedule.append((at, .errorFrame(Self.traceback), fault.description))
            case .policyDrop(let at):
                schedule.append((at, .dropConnection, fault.description))
            case .policyNaN(let at):
                schedule.append((at, .badActions(.nan), fault.description))
            case .policyHuge(let at):
                schedule.append((at, .badActions(1000), fault.description))
            default:
                break
            }
        }
        guard !schedule.isEmpty else { return nil }
        self.schedule = schedule.sorted { $0.0 < $1.0 }
        self.server = server
        self.clock = clock
        self.log = log
    }

    /// What the server sends for `policy-error`: a Python traceback, as `serve_policy.py` does.
    static let traceback = """
        Traceback (most recent call last):
          File "serve_policy.py", line 1, in infer
        RuntimeError: injected by pld sim --fault policy-error
        """

    func start() {
        let thread = Thread { [self] in
            for entry in schedule {
                while !stopping.load(ordering: .relaxed) && clock.now < entry.atSeconds {
                    clock.sleep(until: min(entry.atSeconds, clock.now + 0.05 * clock.speed))
                }
                if stopping.load(ordering: .relaxed) { break }
                server.inject(entry.fault)
                log("pld sim: fault \(entry.spec): armed for the next policy request at sim \(String(format: "%.2f", clock.now)) s")
            }
            finished.signal()
        }
        thread.name = "pld-sim-policy-faults"
        thread.start()
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        _ = finished.wait(timeout: .now() + 1)
    }
}
