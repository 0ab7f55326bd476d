import SwiftProtobuf
import Wire
import ZeroMQ

/// One lifetime of the simulated deoxys gripper node (`gripper_control_node.cpp`), from
/// start (sockets opened, homing) to exit (`termination`). Owned by the gripper thread.
///
/// deoxys runs three threads (receive, execute, publish); here one thread interleaves them
/// with the same observable rules:
/// - receive: every parsed message replaces the stored command; one whose `Any` unpacks as a
///   Stop message stops the gripper at once; `termination` ends the node; anything else (even
///   an unparseable message) marks the stored command for execution;
/// - execute: when marked and no gripper call is in flight, run the stored command with the
///   quirky dispatch order: unpack as Stop ("homing" in deoxys) → homing; Move → move; Grasp →
///   grasp unless the hand already holds one (force 0 → 2 N, both epsilons 0 → 0.08);
///   otherwise "Unpack failed". A call is in flight until the plant reports the motion done;
///   then a grasp's result (`is_grasped`) becomes the has-grasped flag;
/// - publish: gripper state at the configured rate.
final class FrankaGripperProcess {
    enum Exit {
        case stopped
        case bindFailed(ZMQError)
        case termination
    }

    private enum Call { case homing, move, grasp }

    private let env: FrankaNUCEnvironment
    private var stored = DeoxysFrankaGripperControlMessage()
    private var executing = false
    private var hasGrasped = false
    private var inFlight: Call?
    private var delayed = DelayedCommandQueue()

    private init(_ env: FrankaNUCEnvironment) { self.env = env }

    /// The gripper thread: lifetimes with `auto_gripper.sh`-style restarts.
    static func supervise(_ env: FrankaNUCEnvironment, ready: OneShot<Result<Void, ZMQError>>) {
        runWithRestarts(
            clock: env.clock, restartDelaySeconds: env.options.restartDelaySeconds, shouldStop: { env.shouldStop },
            beforeRestart: { _ in },
            lifetime: { run in
                switch FrankaGripperProcess(env).run(ready: run == 0 ? ready : nil, firstRun: run == 0) {
                case .stopped:
                    return false
                case .bindFailed(let error):
                    if run == 0 { return false }
                    env.log("gripper node could not bind its state PUB (\(error)); restarting in \(format(env.options.restartDelaySeconds)) s")
                case .termination:
                    env.log("gripper termination requested; gripper node exits, auto_gripper.sh restarts it in \(format(env.options.restartDelaySeconds)) s")
                }
                return true
            })
    }

    private func run(ready: OneShot<Result<Void, ZMQError>>?, firstRun: Bool) -> Exit {
        let subscriber: Socket, publisher: Socket
        do throws(ZMQError) {
            publisher = try Socket(context: env.context, type: .pub)
            try bindRetrying(publisher, env.gripperStateEndpoint, clock: env.clock, attempts: firstRun ? 1 : 50)
            subscriber = try Socket(context: env.context, type: .sub)
            try subscriber.set(.conflate, true)
            try subscriber.subscribe()
            try subscriber.connect(env.gripperCommandEndpoint)
        } catch {
            ready?.fulfil(.failure(error))
            return .bindFailed(error)
        }
        defer {
            subscriber.close()
            publisher.close()
        }
        let starts = env.counters.withLock { counters -> Int in
            counters.gripperProcessStarts += 1
            counters.gripperHomings += 1
            return counters.gripperProcessStarts
        }
        if starts > 1 { env.log("gripper node restarted (start \(starts)): homing") }
        // gripper.homing() at start.
        env.plant.homeGripper()
        inFlight = .homing
        ready?.fulfil(.success(()))

        let clock = env.clock
        var publish = SimTicker(hz: env.options.gripperStateRateHz, firstDeadline: clock.now)
        while true {
            if env.shouldStop { return .stopped }
            let now = clock.now
            if publish.isDue(now) {
                publishState(now, on: publisher)
                publish.advance(now: now)
            }
            if receiveAll(now, from: subscriber) { return .termination }
            executeIfReady()
            // Wake for the next publish, a command, or (while a call is in flight) soon, to
            // notice the motion's end.
            let wallUntilPublish = clock.wallSeconds(forSimSeconds: publish.next - clock.now)
            let sliceMilliseconds = max(0, min(Int((wallUntilPublish * 1000).rounded(.up)), 5))
            _ = try? subscriber.poll(.readable, timeoutMilliseconds: sliceMilliseconds)
        }
    }

    /// Receives every queued command (the receive thread). Returns true on termination.
    private func receiveAll(_ now: Double, from subscriber: Socket) -> Bool {
        let delay = env.faults.commandDelaySeconds(at: now)
        while true {
            var bytes = (try? subscriber.receive(flags: .dontWait)) ?? nil
            if delay > 0 {
                if let received = bytes { delayed.add(received, receivedAt: now, delay: delay) }
                bytes = delayed.takeNewestDue(at: now)
            } else if bytes == nil {
                bytes = delayed.takeNewestDue(at: now)
            }
            guard let bytes else { return false }
            if receive(bytes) { return true }
            if delay > 0 { return false }
        }
    }

    /// One received message. Returns true on termination.
    private func receive(_ bytes: [UInt8]) -> Bool {
        let message: DeoxysFrankaGripperControlMessage
        do {
            message = try DeoxysFrankaGripperControlMessage(
                wireBytes: bytes, maxBytes: FrankaCommandInterpreter.maxMessageBytes)
            stored = message
            env.count { $0.gripperMessagesParsed += 1 }
        } catch {
            // deoxys goes on with an empty message: no stop, no termination, execute again.
            message = DeoxysFrankaGripperControlMessage()
            env.count { $0.gripperMessagesRefused += 1 }
        }
        if DeoxysAny.unpack(message.controlMsg, as: DeoxysFrankaGripperStopMessage.self) != nil {
            env.plant.stopGripper()
            inFlight = nil
            env.count { $0.gripperStops += 1 }
        }
        if message.termination { return true }
        executing = true
        return false
    }

    /// Runs the stored command when marked and no call is in flight (the main loop).
    private func executeIfReady() {
        if let call = inFlight {
            let state = env.plant.readState()
            guard !state.gripperIsMoving else { return }
            if call == .grasp { hasGrasped = state.gripperIsGrasped }
            inFlight = nil
        }
        guard executing else { return }
        executing = false
        let any = stored.controlMsg
        // deoxys declares its "homing" unpack target as FrankaGripperStopMessage.
        if DeoxysAny.unpack(any, as: DeoxysFrankaGripperStopMessage.self) != nil {
            env.plant.homeGripper()
            hasGrasped = false
            inFlight = .homing
            env.count { $0.gripperHomings += 1 }
        } else if let move = DeoxysAny.unpack(any, as: DeoxysFrankaGripperMoveMessage.self) {
            env.plant.moveGripper(widthMeters: move.width, speedMetersPerSecond: move.speed)
            hasGrasped = false
            inFlight = .move
            env.count { $0.gripperMoves += 1 }
        } else if let grasp = DeoxysAny.unpack(any, as: DeoxysFrankaGripperGraspMessage.self) {
            guard !hasGrasped else {
                env.count { $0.graspsSkipped += 1 }
                return
            }
            let bothEpsilonsZero = grasp.epsilonInner == 0 && grasp.epsilonOuter == 0
            env.plant.grasp(
                widthMeters: grasp.width, speedMetersPerSecond: grasp.speed,
                forceNewtons: grasp.force == 0 ? 2.0 : grasp.force,
                epsilonInnerMeters: bothEpsilonsZero ? 0.08 : grasp.epsilonInner,
                epsilonOuterMeters: bothEpsilonsZero ? 0.08 : grasp.epsilonOuter)
            inFlight = .grasp
            env.count { $0.grasps += 1 }
        } else {
            env.count { $0.gripperUnpackFailures += 1 }
            env.log("gripper: Unpack failed (type URL \"\(any.typeURL)\")")
        }
    }

    private func publishState(_ now: Double, on publisher: Socket) {
        guard !env.faults.isStateDropped(at: now) else { return }
        let message = FrankaStateMessages.gripperState(
            env.plant.readState(), temperatureCelsius: env.options.gripperTemperatureCelsius, timeSeconds: now)
        guard let bytes: [UInt8] = try? message.serializedBytes() else { return }
        _ = try? publisher.send(bytes, flags: .dontWait)
        env.count { $0.gripperStatesPublished += 1 }
    }
}
