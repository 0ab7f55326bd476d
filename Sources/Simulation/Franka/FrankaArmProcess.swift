import SwiftProtobuf
import Wire
import ZeroMQ

/// One lifetime of the simulated `franka-interface` arm node: from process start (sockets
/// opened, `automaticErrorRecovery`, state stored) to its exit. Owned by the arm thread.
final class FrankaArmProcess {
    /// Why a lifetime ended.
    enum Exit {
        case stopped
        case bindFailed(ZMQError)
        case watchdog
        case termination
        case killed
        case reflex(String)
    }

    private let env: FrankaNUCEnvironment
    private var interpreter: FrankaCommandInterpreter
    private var stored: FrankaStateMessages.Snapshot
    private var frame: UInt64 = 0
    private var delayed = DelayedCommandQueue()

    private init(_ env: FrankaNUCEnvironment) {
        self.env = env
        interpreter = FrankaCommandInterpreter(policyRateHz: env.policyRateHz)
        let now = env.clock.now
        stored = FrankaStateMessages.Snapshot(plant: env.plant.readState(), timeSeconds: now)
    }

    /// The arm thread: lifetimes with `auto_arm.sh`-style restarts until the simulator stops.
    static func supervise(_ env: FrankaNUCEnvironment, ready: OneShot<Result<Void, ZMQError>>) {
        runWithRestarts(
            clock: env.clock, restartDelaySeconds: env.options.restartDelaySeconds, shouldStop: { env.shouldStop },
            beforeRestart: { _ in env.count { $0.armRestarts += 1 } },
            lifetime: { run in
                let exit = FrankaArmProcess(env).run(ready: run == 0 ? ready : nil, firstRun: run == 0)
                env.armProcessUp.store(false, ordering: .sequentiallyConsistent)
                let delay = "auto_arm.sh restarts it in \(format(env.options.restartDelaySeconds)) s"
                switch exit {
                case .stopped:
                    return false
                case .bindFailed(let error):
                    if run == 0 { return false }
                    env.log("franka-interface could not bind its state PUB (\(error)); \(delay)")
                case .watchdog:
                    env.log("watchdog: \(FrankaCommandInterpreter.watchdogEmptyPolls) empty polls in a row; franka-interface exits, \(delay)")
                case .termination:
                    env.log("termination requested; franka-interface exits, \(delay)")
                case .killed:
                    env.log("franka-interface killed; \(delay)")
                case .reflex(let reason):
                    env.log("libfranka control exception (\(reason)); franka-interface exits, \(delay)")
                }
                return true
            })
    }

    /// Runs the lifetime until the process exits.
    private func run(ready: OneShot<Result<Void, ZMQError>>?, firstRun: Bool) -> Exit {
        let subscriber: Socket, publisher: Socket
        do throws(ZMQError) {
            subscriber = try Socket(context: env.context, type: .sub)
            try subscriber.set(.conflate, true)
            try subscriber.subscribe()
            try subscriber.connect(env.armCommandEndpoint)
            publisher = try Socket(context: env.context, type: .pub)
            try bindRetrying(publisher, env.armStateEndpoint, clock: env.clock, attempts: firstRun ? 1 : 50)
        } catch {
            ready?.fulfil(.failure(error))
            return .bindFailed(error)
        }
        defer {
            subscriber.close()
            publisher.close()
        }
        // Process start: robot.automaticErrorRecovery(), readOnce() stored for the publisher.
        // A kill requested while no process ran has nothing to kill.
        env.injectedErrors.withLock { $0 = nil }
        env.killRequested.store(false, ordering: .sequentiallyConsistent)
        env.armProcessUp.store(true, ordering: .sequentiallyConsistent)
        let startRun = env.counters.withLock { counters -> Int in
            counters.armProcessStarts += 1
            return counters.armProcessStarts
        }
        if startRun > 1 {
            env.log("franka-interface restarted (start \(startRun)): errors recovered, NO_CONTROL, frame 0")
        }
        ready?.fulfil(.success(()))

        let clock = env.clock
        var poll = SimTicker(hz: env.policyRateHz, firstDeadline: clock.now + 1 / env.policyRateHz)
        var publish = SimTicker(hz: env.options.stateRateHz, firstDeadline: clock.now)
        while true {
            if env.shouldStop { return .stopped }
            let now = clock.now
            if env.killRequested.exchange(false, ordering: .sequentiallyConsistent) || env.faults.takeDueKill(at: now) {
                env.plant.stopMotion()
                env.count { $0.kills += 1 }
                return .killed
            }
            if env.faults.takeDueMotorError(at: now) {
                var errors = DeoxysFrankaRobotStateMessage.Errors()
                errors.jointReflex = true
                env.injectedErrors.withLock { $0 = errors }
            }
            if let reason = injectedErrorDuringMotion() {
                env.plant.stopMotion()
                env.count { $0.reflexExits += 1 }
                return .reflex(reason)
            }
            if publish.isDue(now) {
                publishState(now, on: publisher)
                publish.advance(now: now)
            }
            if poll.isDue(now) {
                if let exit = pollOnce(now, on: subscriber) { return exit }
                poll.advance(now: now)
            }
            clock.sleep(until: min(poll.next, publish.next), while: {
                !env.shouldStop && !env.killRequested.load(ordering: .sequentiallyConsistent)
            })
        }
    }

    /// One command poll (deoxys's control-message thread, one iteration).
    private func pollOnce(_ now: Double, on subscriber: Socket) -> Exit? {
        var bytes = (try? subscriber.receive(flags: .dontWait)) ?? nil
        let delay = env.faults.commandDelaySeconds(at: now)
        if delay > 0 {
            if let received = bytes { delayed.add(received, receivedAt: now, delay: delay) }
            bytes = delayed.takeNewestDue(at: now)
        } else if bytes == nil {
            bytes = delayed.takeNewestDue(at: now)
        } else {
            delayed.removeAll()
        }
        let outcome = interpreter.poll(bytes, measured: env.plant.readState())
        switch outcome {
        case .empty:
            env.count { $0.emptyPolls += 1 }
        case .watchdog:
            env.count {
                $0.emptyPolls += 1
                $0.watchdogTrips += 1
            }
            env.plant.stopMotion()
            return .watchdog
        case .refused(let reason):
            env.count {
                $0.messagesRefused += 1
                $0.lastRefusal = reason
            }
        case .termination:
            env.count {
                $0.messagesParsed += 1
                $0.terminations += 1
            }
            env.plant.stopMotion()
            return .termination
        case .stopped(let wasRunning):
            env.count {
                $0.messagesParsed += 1
                if wasRunning { $0.motionsStopped += 1 }
            }
            // The control callback returns MotionFinished: the arm holds still. An idle arm
            // is already held; re-anchoring it on every keep-alive would let it sag.
            if wasRunning { env.plant.stopMotion() }
        case .ignored(let reason):
            env.count {
                $0.messagesParsed += 1
                $0.goalsIgnored += 1
                $0.lastRefusal = reason
            }
        case .goal(let goal, let startedController):
            if startedController {
                // libfranka refuses to start a motion while a reflex stands.
                if let reason = injectedErrorDuringMotion() {
                    env.count { $0.messagesParsed += 1 }
                    env.plant.stopMotion()
                    env.count { $0.reflexExits += 1 }
                    return .reflex(reason)
                }
                // readOnce() before robot.control(): the stored state is fresh again.
                stored = FrankaStateMessages.Snapshot(plant: env.plant.readState(), timeSeconds: now)
            }
            switch goal {
            case .pose(let pose, let seconds):
                env.plant.commandPose(goal: pose, interpolationSeconds: seconds)
            case .joints(let q, let seconds, let kind):
                env.plant.commandJoints(goal: q, interpolationSeconds: seconds, kind: kind)
            }
            env.count {
                $0.messagesParsed += 1
                $0.goalsApplied += 1
                if startedController { $0.controllersStarted += 1 }
            }
        }
        return nil
    }

    /// Publishes the stored state (refreshed first while a controller runs).
    private func publishState(_ now: Double, on publisher: Socket) {
        if interpreter.running {
            stored = FrankaStateMessages.Snapshot(plant: env.plant.readState(), timeSeconds: now)
        }
        guard !env.faults.isStateDropped(at: now) else { return }
        let errors = env.injectedErrors.value
        let mode: DeoxysFrankaRobotStateMessage.RobotMode =
            errors != nil ? .reflex : interpreter.running ? .move : .idle
        let message = FrankaStateMessages.robotState(
            stored, frame: frame, mode: mode, errors: errors ?? DeoxysFrankaRobotStateMessage.Errors())
        guard let bytes: [UInt8] = try? message.serializedBytes() else { return }
        _ = try? publisher.send(bytes, flags: .dontWait)
        frame += 1
        env.count { $0.statesPublished += 1 }
    }

    /// The injected error that aborts the running motion, if any.
    private func injectedErrorDuringMotion() -> String? {
        guard interpreter.running, let errors = env.injectedErrors.value else { return nil }
        interpreter.abortMotion()
        return Self.describe(errors)
    }

    /// The names of the set error flags, e.g. "joint_reflex".
    static func describe(_ errors: DeoxysFrankaRobotStateMessage.Errors) -> String {
        let text = errors.textFormatString()
            .split(separator: "\n")
            .compactMap { line -> String? in
                let parts = line.split(separator: ":")
                return parts.count == 2 && parts[1].trimmingSpaces == "true" ? String(parts[0]) : nil
            }
        return text.isEmpty ? "error" : text.joined(separator: ", ")
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// A number of seconds for log lines: "1", "0.5", "1.25".
func format(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
}
