import SwiftProtobuf
import Synchronization
import Wire
import ZeroMQ

/// One lifetime of the simulated driver process, run on the driver thread: binds the state
/// PUB, connects the command SUB, starts the control thread, then ticks at the state rate.
final class PLDArmDriverProcess {
    enum Exit {
        case stopped
        case bindFailed(ZMQError)
        case killed
    }

    private let env: PLDArmDriverEnvironment
    private var delayed = DelayedCommandQueue()
    private var sequence: UInt64 = 0

    private init(_ env: PLDArmDriverEnvironment) { self.env = env }

    /// The driver thread: lifetimes with restarts after kills, until the simulator stops.
    static func supervise(_ env: PLDArmDriverEnvironment, ready: OneShot<Result<Void, ZMQError>>) {
        var delay = env.settings.restartDelaySeconds
        runWithRestarts(
            clock: env.clock, restartDelaySeconds: delay, shouldStop: { env.shouldStop },
            beforeRestart: { _ in env.core.withLock { $0.counters.restarts += 1 } },
            lifetime: { run in
                let exit = PLDArmDriverProcess(env).run(ready: run == 0 ? ready : nil, firstRun: run == 0)
                env.processUp.store(false, ordering: .sequentiallyConsistent)
                delay = env.settings.restartDelaySeconds
                switch exit {
                case .stopped:
                    return false
                case .bindFailed(let error):
                    if run == 0 { return false }
                    env.log("could not bind (\(error)); restarting in \(format(delay)) s")
                case .killed:
                    env.log("driver process killed; motors damp after \(format(env.settings.link.motorTimeoutS)) s, restart in \(format(delay)) s")
                    // Nobody refreshes the motors: after their timeout they damp.
                    let motorTimeout = env.settings.link.motorTimeoutS
                    if motorTimeout < delay {
                        let dampAt = env.clock.now + motorTimeout
                        guard env.clock.sleep(until: dampAt, while: { !env.shouldStop }) else { return false }
                        env.plant.damp()
                        delay -= motorTimeout
                    }
                }
                return true
            })
    }

    private func run(ready: OneShot<Result<Void, ZMQError>>?, firstRun: Bool) -> Exit {
        let publisher: Socket, subscriber: Socket
        do throws(ZMQError) {
            publisher = try Socket(context: env.context, type: .pub)
            try bindRetrying(publisher, env.stateEndpoint, clock: env.clock, attempts: firstRun ? 1 : 50)
            subscriber = try Socket(context: env.context, type: .sub)
            try subscriber.set(.conflate, true)
            try subscriber.subscribe()
            try subscriber.connect(env.commandEndpoint)
        } catch {
            ready?.fulfil(.failure(error))
            return .bindFailed(error)
        }
        let ended = LifetimeFlag()
        let controlReady = OneShot<Result<Void, ZMQError>>()
        let env = self.env
        let control = NodeThread(name: "pld-sim \(env.settings.armName) control") {
            PLDArmControlServer.serve(env, ended: ended, ready: controlReady, firstRun: firstRun)
        }
        defer {
            ended.set()
            control.join()
            subscriber.close()
            publisher.close()
        }
        if case .failure(let error) = controlReady.wait() {
            ready?.fulfil(.failure(error))
            return .bindFailed(error)
        }

        let clock = env.clock
        let starts = env.core.withLock { core -> Int in
            core.start(at: clock.now, measured: env.plant.readState())
            core.counters.processStarts += 1
            return core.counters.processStarts
        }
        // A kill requested while no process ran has nothing to kill.
        env.killRequested.store(false, ordering: .sequentiallyConsistent)
        env.processUp.store(true, ordering: .sequentiallyConsistent)
        if starts > 1 { env.log("driver restarted (start \(starts)): HOLDING where the arm is") }
        ready?.fulfil(.success(()))

        var tick = SimTicker(hz: env.settings.stateRateHz, firstDeadline: clock.now)
        while true {
            if env.shouldStop { return .stopped }
            let now = clock.now
            if env.killRequested.exchange(false, ordering: .sequentiallyConsistent) || env.faults.takeDueKill(at: now) {
                env.core.withLock { $0.counters.kills += 1 }
                return .killed
            }
            if env.faults.takeDueMotorError(at: now) {
                env.core.withLock { $0.motorError(motor: 3, reason: "loss communication") }
                env.log("motor 3: loss communication; driver in ERROR, motors damping")
            }
            if tick.isDue(now) {
                step(now, subscriber: subscriber, publisher: publisher)
                tick.advance(now: now)
            }
            clock.sleep(until: tick.next, while: {
                !env.shouldStop && !env.killRequested.load(ordering: .sequentiallyConsistent)
            })
        }
    }

    /// One driver-loop iteration: commands in, timeouts and moves, plant out, state out.
    private func step(_ now: Double, subscriber: Socket, publisher: Socket) {
        var commands: [[UInt8]] = []
        let delay = env.faults.commandDelaySeconds(at: now)
        while let bytes = (try? subscriber.receive(flags: .dontWait)) ?? nil {
            if delay > 0 { delayed.add(bytes, receivedAt: now, delay: delay) } else { commands.append(bytes) }
        }
        if let due = delayed.takeNewestDue(at: now) { commands.insert(due, at: 0) }
        let plant = env.plant
        let (lines, message) = env.core.withLock { core -> ([String], PLDArmState?) in
            let lines = core.tick(at: now, measured: plant.readState(), commands: commands, plant: plant)
            guard !env.faults.isStateDropped(at: now) else { return (lines, nil) }
            // Sampled after this tick's commands went out, like a driver that reads the motors
            // at the end of its cycle.
            let message = core.stateMessage(
                measured: plant.readState(), sequence: sequence, sampleUnixNanoseconds: env.clock.unixNanoseconds)
            core.counters.statesPublished += 1
            return (lines, message)
        }
        for line in lines { env.settings.log(line) }
        guard let message, let bytes: [UInt8] = try? message.serializedBytes() else { return }
        _ = try? publisher.send(bytes, flags: .dontWait)
        sequence += 1
    }
}

/// Set once when a driver lifetime ends; its control thread watches it.
final class LifetimeFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { flag.load(ordering: .sequentiallyConsistent) }
}

/// The control REP of one driver lifetime, on its own thread: every request gets exactly one
/// reply, immediately.
enum PLDArmControlServer {
    static func serve(
        _ env: PLDArmDriverEnvironment, ended: LifetimeFlag, ready: OneShot<Result<Void, ZMQError>>, firstRun: Bool
    ) {
        let socket: Socket
        do throws(ZMQError) {
            socket = try Socket(context: env.context, type: .rep)
            try bindRetrying(socket, env.controlEndpoint, clock: env.clock, attempts: firstRun ? 1 : 50)
        } catch {
            ready.fulfil(.failure(error))
            return
        }
        defer { socket.close() }
        ready.fulfil(.success(()))
        while !ended.isSet && !env.shouldStop {
            guard let frames = (try? socket.receiveMultipart(timeoutMilliseconds: 5)) ?? nil else { continue }
            let now = env.clock.now
            let reply = env.core.withLock { core in
                core.reply(
                    to: frames, at: now, measured: { env.plant.readState() }, unixNanoseconds: env.clock.unixNanoseconds)
            }
            let bytes: [UInt8] = (try? reply.serializedBytes()) ?? []
            _ = try? socket.send(bytes)
        }
    }
}
