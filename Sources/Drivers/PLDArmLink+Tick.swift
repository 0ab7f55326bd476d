import PLDCore
import Wire

// MARK: Per tick: non-blocking, allocation-free

extension PLDArmLink {
    /// One tick's read step: drains the state SUB without blocking (every refused message is
    /// counted; the newest good one wins), then updates age, staleness, mode and fault.
    @discardableResult
    public func poll(now: UInt64) -> LinkEvents {
        guard let stateSub else { return [] }
        var events: LinkEvents = []
        drain: for _ in 0..<options.maxDrainPerPoll {
            switch stateSub.receive() {
            case .empty:
                break drain
            case .failed:
                counters.receiveFailures += 1
                events.insert(.transportError)
                break drain
            case .oversized:
                counters.stateRefusals.record(.tooLarge)
                events.insert(.refused)
            case .message(let count):
                let bytes = stateSub.bytes(count)
                do {
                    let sample = try decoder.decode(bytes)
                    take(sample, bytes: bytes, now: now, events: &events)
                } catch {
                    counters.stateRefusals.record(error)
                    events.insert(.refused)
                }
            }
        }
        let age = state.hasState ? elapsedNanos(since: state.receivedAtNanos, to: now) : UInt64.max
        state.messageAgeNanos = age
        let stale = !state.hasState || age > stateTimeoutNanos
        state.isStale = stale
        if stale && wasFresh {
            counters.stalePeriods += 1
            events.insert(.becameStale)
        } else if !stale && !wasFresh {
            events.insert(.becameFresh)
        }
        wasFresh = !stale
        return events
    }

    /// A joint-position target: the first `jointCount` entries of `q` (rad, the driver's joint
    /// space) and a normalised gripper target (0 open … 1 closed, clamped). Refused, and nothing
    /// sent, when a value is not finite or a joint lies outside the configured hardware limits.
    public func sendJointTarget(_ q: InlineArray<8, Double>, gripper: Double, now: UInt64) -> LinkSendResult {
        guard isReady, let commandPub else { return .notConnected }
        for i in 0..<jointCount {
            guard q[i].isFinite else { return refuse(.nonFinite) }
            guard q[i] >= lowerRad[i], q[i] <= upperRad[i] else { return refuse(.outsideJointLimits(joint: i)) }
        }
        guard gripper.isFinite else { return refuse(.nonFinite) }
        let count: Int
        do {
            count = try encoder.encodeTarget(
                sequence: sequence + 1, sentUnixNanos: DriverClock.unixNanos(), qTarget: q,
                gripperTarget: min(max(gripper, 0), 1), into: commandPub.buffer)
        } catch {
            return refuse(.encode(error))
        }
        return publish(commandPub, count: count)
    }

    /// Asks the driver to hold its current position (`hold = true`, no targets). For e-stop,
    /// pause and stale or refused states: it carries nothing derived from the state.
    @discardableResult
    public func hold(now: UInt64) -> LinkSendResult {
        guard isReady, let commandPub else { return .notConnected }
        let count: Int
        do {
            count = try encoder.encodeHold(sequence: sequence + 1, sentUnixNanos: DriverClock.unixNanos(), into: commandPub.buffer)
        } catch {
            return refuse(.encode(error))
        }
        let result = publish(commandPub, count: count)
        if result == .sent { counters.holdsSent += 1 }
        return result
    }

    /// The sequence number of the last command sent (0 before the first).
    public var lastCommandSequence: UInt64 { sequence }

    /// The text of the newest fault message the driver sent (decoded with swift-protobuf:
    /// allocates, call it off the tick, e.g. when `.faultRaised` was reported).
    public func faultMessage() -> String? {
        guard faultByteCount > 0 else { return nil }
        let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: faultBytes[0..<faultByteCount]))
        guard let message = try? PLDArmState(wireBytes: bytes, maxBytes: faultBytes.count) else { return nil }
        return message.faultMessage.isEmpty ? nil : message.faultMessage
    }

    private func publish(_ pub: CommandPublisher, count: Int) -> LinkSendResult {
        guard pub.send(count: count) else {
            counters.sendFailures += 1
            return .dropped
        }
        sequence += 1
        counters.commandsSent += 1
        return .sent
    }

    private func refuse(_ refusal: CommandRefusal) -> LinkSendResult {
        counters.commandsRefused += 1
        return .refused(refusal)
    }

    private func take(_ sample: ArmStateSample, bytes: UnsafeRawBufferPointer, now: UInt64, events: inout LinkEvents) {
        if state.hasState && sample.sequence < state.sequence {
            counters.driverRestarts += 1
            events.insert(.restartDetected)
        }
        let previousMode = state.driverMode
        let previousFault = state.isFault
        state.q = sample.q
        state.dq = sample.dq
        state.tau = sample.tau
        state.gripperPosition = sample.gripperPosition
        state.hasGripperState = true
        state.driverMode = sample.mode
        state.mode = ArmMode(driverMode: sample.mode)
        state.isFault = sample.mode == .error || sample.mode == .damping || sample.hasFaultMessage
        state.sequence = sample.sequence
        state.sampleUnixNanos = sample.sampleUnixNanos
        state.lastCommandSequence = sample.lastCommandSequence
        state.receivedAtNanos = now
        if sample.hasFaultMessage, bytes.count <= faultBytes.count, let base = bytes.baseAddress {
            faultBytes.baseAddress!.copyMemory(from: base, byteCount: bytes.count)
            faultByteCount = bytes.count
        }
        if state.hasState && previousMode != sample.mode { events.insert(.modeChanged) }
        if state.isFault && !previousFault {
            counters.faultsRaised += 1
            events.insert(.faultRaised)
        }
        state.hasState = true
        counters.statesReceived += 1
        events.insert(.newState)
    }
}
