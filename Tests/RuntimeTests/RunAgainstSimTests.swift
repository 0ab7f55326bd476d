import Foundation
import PLDCore
import Runtime
import Synchronization
import TestSupport
import Testing
import Wire
import ZeroMQ

/// `RobotRun` (what `pld run` drives) against a real `pld sim` child process whose base policy
/// server misbehaves (`--fault policy-*`): the tick must never wait for the server, the arm must
/// hold while no fresh action exists, and a server that errors or drops the connection must be
/// reconnected. Each test runs its own sim on its own ports (`SimCell`).
@Suite(.serialized, .timeLimit(.minutes(2))) struct RunAgainstSimTests {
    /// End-effector positions the sim's NUC publishes, read by an independent SUB (the NUC's
    /// state PUB serves any number of subscribers), with the wall time they were read.
    final class ArmObserver: @unchecked Sendable {
        // @unchecked: `samples` is guarded by `lock`; the socket is used only on `thread`.
        private let lock = NSLock()
        private var samples: [(t: Double, position: SIMD3<Double>)] = []
        private let stopping = Atomic<Bool>(false)
        private let done = DispatchSemaphore(value: 0)

        init(endpoint: String) {
            let start = Date()
            // The socket lives and dies on the observer's thread (sockets are not Sendable).
            Thread.detachNewThread { [self] in
                defer { done.signal() }
                guard let context = try? Context(), let socket = try? Socket(context: context, type: .sub),
                    (try? socket.set(.conflate, true)) != nil, (try? socket.subscribe()) != nil,
                    (try? socket.connect(endpoint)) != nil
                else { return }
                while !stopping.load(ordering: .relaxed) {
                    if let bytes = try? socket.receive(timeoutMilliseconds: 20),
                        let state = try? DeoxysFrankaRobotStateMessage(serializedBytes: bytes), state.oTEe.count == 16
                    {
                        let p = SIMD3(state.oTEe[12], state.oTEe[13], state.oTEe[14])
                        lock.withLock { samples.append((Date().timeIntervalSince(start), p)) }
                    }
                }
                socket.close()
            }
        }

        func stop() -> [(t: Double, position: SIMD3<Double>)] {
            stopping.store(true, ordering: .relaxed)
            done.wait()
            return lock.withLock { samples }
        }
    }

    /// Runs `config` for `seconds` of wall time on a background thread, sampling the stall
    /// counter every 20 ms on this one.
    static func run(config: String, seconds: Double) throws -> (summary: RunSummary, stalls: [(t: Double, count: UInt64)]) {
        var options = RunOptions()
        options.durationSeconds = seconds
        options.log = { print("run: \($0)") }
        let run = try RobotRun(configPath: config, options: options)
        let result = Mutex<RunSummary?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let summary = run.run { print("episode \($0.index): \($0.outcome.label)") }
            result.withLock { $0 = summary }
            finished.signal()
        }
        let start = Date()
        var stalls: [(Double, UInt64)] = []
        while finished.wait(timeout: .now() + 0.02) == .timedOut {
            stalls.append((Date().timeIntervalSince(start), run.status.value(.policyStalls)))
            if Date().timeIntervalSince(start) > seconds + 30 {
                run.requestStop()
            }
        }
        return (try #require(result.withLock { $0 }), stalls)
    }

    @Test func aServerThatSleepsTwoSecondsNeverBlocksTheTickAndTheArmHolds() throws {
        let cell = try SimCell(config: "franka_sim_cube.yaml")
        defer { cell.remove() }
        let config = try RobotConfig.load(path: cell.configPath)
        let franka = try #require(config.arms[0].franka)
        // The server answers normally for 4 s, then sleeps 2 s before its next reply.
        let sim = try cell.launchSim(scene: "franka-cube", ["--fault", "policy-stall:2s@4s", "--policy-latency-ms", "50"])
        defer { sim.stop() }
        let observer = ArmObserver(endpoint: franka.armStateConnect.configString)
        let (summary, stalls) = try Self.run(config: cell.configPath, seconds: 10)
        let samples = observer.stop()

        // Stalls were counted: about 2 s of 20 Hz ticks, less what the last chunk covered.
        print("stall ticks \(summary.policyStalls), ticks \(summary.ticks), misses \(summary.deadlineMisses), compute max \(summary.tickComputeNanos.max) ns")
        #expect(summary.policyStalls >= 15)
        // The tick never waited for the server: no tick took anywhere near the 2 s sleep.
        #expect(summary.tickComputeNanos.max < 50_000_000)
        #expect(summary.deadlineMisses <= 2)
        // 10 s at 20 Hz; a blocked tick would have lost about 40 of them.
        #expect(summary.ticks >= 190)

        // The arm holds while stalled: find the longest run of rising stall counts and measure
        // the end effector over it (after 0.3 s for the OSC controller to settle on the hold).
        // Times the counter rose, grouped into windows with gaps under 0.15 s (3 ticks).
        let rises = zip(stalls, stalls.dropFirst()).filter { $1.count > $0.count }.map { $1.t }
        var best: (start: Double, end: Double) = (0, 0)
        var windowStart = rises.first ?? 0
        for (previous, current) in zip(rises, rises.dropFirst()) {
            if current - previous > 0.15 { windowStart = current }
            if current - windowStart > best.end - best.start { best = (windowStart, current) }
        }
        print("longest stall window \(best.start)…\(best.end) s")
        #expect(best.end - best.start >= 1.0)
        let held = samples.filter { $0.t >= best.start + 0.3 && $0.t <= best.end }
        try #require(held.count >= 20)
        let drift = held.map { simd_length($0.position - held[0].position) }.max()!
        print("end-effector drift while holding: \(drift * 1000) mm over \(held.count) states")
        #expect(drift < 0.005)
        // And it was moving before: the policy drives the arm when chunks flow.
        let before = samples.filter { $0.t < best.start }
        let travel = zip(before, before.dropFirst()).map { simd_length($1.position - $0.position) }.reduce(0, +)
        #expect(travel > 0.02)
    }

    @Test func aServerThatSendsAnErrorFrameOrDropsTheConnectionIsReconnected() throws {
        let cell = try SimCell(config: "franka_sim_cube.yaml")
        defer { cell.remove() }
        let sim = try cell.launchSim(
            scene: "franka-cube", ["--fault", "policy-error@2s", "--fault", "policy-drop@4s", "--policy-latency-ms", "50"])
        defer { sim.stop() }
        let (summary, _) = try Self.run(config: cell.configPath, seconds: 8)
        let status = summary.policyStatus
        print("connections \(status.connections), errors \(status.errors), replies \(status.replies)")
        #expect(status.errors[.serverError, default: 0] >= 1)
        #expect(status.errors[.connectionLost, default: 0] >= 1)
        // One connection at the start plus one after each fault.
        #expect(status.connections >= 3)
        // Chunks kept coming after both faults: ~8 s at one reply per ~0.1–0.5 s.
        #expect(status.replies >= 10)
        #expect(summary.tickComputeNanos.max < 50_000_000)
    }
}

private func simd_length(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }
