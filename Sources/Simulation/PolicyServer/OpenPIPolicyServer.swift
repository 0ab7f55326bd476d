import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import PLDCore
import Synchronization
import Wire

/// A policy server speaking the same protocol as openpi's `scripts/serve_policy.py`
/// (`openpi-and-vla-servers.md` §1), so the runtime (or openpi's own Python client) cannot tell
/// the simulator from a GPU box:
///
/// - plain WebSocket, no permessage-deflate, frames up to `maxFrameBytes`;
/// - on connect, one binary frame with the msgpack metadata dict;
/// - then each binary msgpack observation gets one binary msgpack reply: the handler's dict
///   plus `server_timing` (`infer_ms`, and `prev_total_ms` from the second request on);
/// - when the handler throws (or the request does not decode), a text frame with a
///   Python-style traceback, then close code 1011 with openpi's reason;
/// - `GET /healthz` answers `200 OK` with body `OK\n`; other plain HTTP requests get 426.
///
/// Requests from all connections are handled one at a time on one handler thread, in arrival
/// order, as the blocking openpi server does; NIO's event loop keeps answering pings meanwhile.
/// Artificial latency and injected faults (`PolicyServerFault`) apply on that thread.
///
/// Threading: `start`, `stop`, `inject`, `latencySeconds` and `statistics` from any thread.
public final class OpenPIPolicyServer: @unchecked Sendable {
    // @unchecked: mutable state is in Mutex / Atomic; the NIO channels are Sendable.
    public typealias Handler = @Sendable (OpenPIDict) throws -> OpenPIDict

    /// The reason `serve_policy.py` sends with close code 1011.
    public static let errorCloseReason = "Internal server error. Traceback included in previous frame."

    private let host: String
    private let requestedPort: Int
    private let metadata: OpenPIDict
    private let handler: Handler
    private let maxFrameBytes: Int
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let handlerQueue = DispatchQueue(label: "pld-sim policy server handler")
    private let serverChannel = Mutex<(any Channel)?>(nil)
    private let faults = Mutex<[PolicyServerFault]>([])
    private let latency = Mutex<Double>(0)
    private let stats = Mutex(PolicyServerStatistics())
    private let previousTotalMilliseconds = Mutex<Double?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let boundPort = Atomic<Int>(0)

    /// A server for `url` (`ws://host:port`; port 8000 when absent, as `serve_policy.py`).
    public convenience init(
        bind url: ServiceURL, metadata: OpenPIDict = [:], maxFrameBytes: Int = 64 << 20, handler: @escaping Handler
    ) {
        self.init(host: url.host, port: url.port ?? 8000, metadata: metadata, maxFrameBytes: maxFrameBytes, handler: handler)
    }

    /// A server on `host:port`; port 0 picks a free port (read `port` after `start()`).
    public init(host: String, port: Int, metadata: OpenPIDict = [:], maxFrameBytes: Int = 64 << 20, handler: @escaping Handler) {
        var bareHost = host
        if bareHost.hasPrefix("["), bareHost.hasSuffix("]") { bareHost = String(bareHost.dropFirst().dropLast()) }
        self.host = bareHost
        self.requestedPort = port
        self.metadata = metadata
        self.maxFrameBytes = min(maxFrameBytes, Int(UInt32.max))
        self.handler = handler
    }

    deinit {
        // Possibly on an event loop thread (a handler held the last reference): never block.
        if !stopping.exchange(true, ordering: .acquiringAndReleasing) {
            group.shutdownGracefully { _ in }
        }
    }

    /// The bound port (after `start()`).
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// `ws://host:port` of the running server, for a client config.
    public var url: ServiceURL {
        let shownHost = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
        return try! ServiceURL(configString: "ws://\(shownHost):\(port)")
    }

    /// Sleep before every reply, s (e.g. a realistic 0.1–0.5 s VLA latency).
    public var latencySeconds: Double {
        get { latency.withLock { $0 } }
        set { latency.withLock { $0 = max(0, newValue) } }
    }

    /// Applies `fault` to the next `requests` requests (after any already queued faults).
    public func inject(_ fault: PolicyServerFault, requests: Int = 1) {
        faults.withLock { $0.append(contentsOf: Array(repeating: fault, count: max(0, requests))) }
    }

    public func statistics() -> PolicyServerStatistics { stats.withLock { $0 } }

    /// Binds and starts serving. Throws a one-line error naming the address when it cannot bind.
    public func start() throws(PolicyServerError) {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: maxFrameBytes, automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(head.uri.hasPrefix("/healthz") ? nil : HTTPHeaders())
            },
            upgradePipelineHandler: { [self] channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16, maxAccumulatedFrameSize: maxFrameBytes))
                    try channel.pipeline.syncOperations.addHandler(PolicyServerFrameHandler(server: self))
                }
            })
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.syncOperations.removeHandler(name: PlainHTTPHandler.name, promise: nil)
                            }
                        ))
                    try channel.pipeline.syncOperations.addHandler(PlainHTTPHandler(server: self), name: PlainHTTPHandler.name)
                }
            }
        do {
            let channel = try bootstrap.bind(host: host, port: requestedPort).wait()
            boundPort.store(channel.localAddress?.port ?? requestedPort, ordering: .releasing)
            serverChannel.withLock { $0 = channel }
        } catch {
            throw PolicyServerError("cannot bind the policy server to \(host):\(requestedPort): \(error)")
        }
    }

    /// Closes every connection and the listening socket, and waits for a stalled handler to
    /// give up. Call it from a test or the simulator's thread, not from inside the handler.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        serverChannel.withLock { $0 = nil }
        if MultiThreadedEventLoopGroup.currentEventLoop != nil {
            group.shutdownGracefully { _ in }
            return
        }
        try? group.syncShutdownGracefully()
        handlerQueue.sync {}
    }

    // MARK: Called from the channel handlers (event loop)

    func connectionOpened(_ channel: any Channel) {
        stats.withLock { $0.connections += 1 }
        let bytes = (try? OpenPIMessage.encode(metadata)) ?? [0x80]
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    func healthChecked() { stats.withLock { $0.healthChecks += 1 } }

    /// Queues one observation frame for the handler thread.
    /// A text frame is not an observation: the Python server's `unpackb` raises on it.
    func received(_ payload: ByteBuffer, isText: Bool, on channel: any Channel) {
        stats.withLock { $0.requests += 1 }
        let receivedNanos = DispatchTime.now().uptimeNanoseconds
        handlerQueue.async { [self] in
            guard !stopping.load(ordering: .acquiring), channel.isActive else { return }
            if isText {
                sendError(Self.traceback(type: "TypeError", "a bytes-like object is required, not 'str'"), on: channel)
                return
            }
            serve(payload, on: channel, receivedNanos: receivedNanos)
        }
    }

    // MARK: Handler thread

    private func serve(_ payload: ByteBuffer, on channel: any Channel, receivedNanos: UInt64) {
        let fault = faults.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        let delay = latencySeconds
        if delay > 0 { interruptibleSleep(seconds: delay) }
        switch fault {
        case .stall(let seconds):
            interruptibleSleep(seconds: seconds)
        case .dropConnection:
            stats.withLock { $0.droppedConnections += 1 }
            channel.close(promise: nil)
            return
        case .errorFrame(let text):
            sendError(text, on: channel)
            return
        case .badActions, nil:
            break
        }
        guard !stopping.load(ordering: .acquiring) else { return }
        let inferStart = DispatchTime.now().uptimeNanoseconds
        var reply: OpenPIDict
        do {
            let observation = try payload.withUnsafeReadableBytes { bytes in
                try OpenPIMessage.decode(bytes, limits: MessagePackLimits(maxInputBytes: maxFrameBytes, maxBinaryBytes: maxFrameBytes))
            }
            reply = try handler(observation)
            if case .badActions(let value) = fault, case .array(let actions)? = reply["actions"] {
                reply["actions"] = .array(try OpenPIArray(Array(repeating: value, count: actions.elementCount), shape: actions.shape))
            }
        } catch {
            sendError(Self.traceback(for: error), on: channel)
            return
        }
        let inferMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - inferStart) / 1e6
        var timing: OpenPIDict = ["infer_ms": .double(inferMilliseconds)]
        if let previous = previousTotalMilliseconds.withLock({ $0 }) { timing["prev_total_ms"] = .double(previous) }
        reply["server_timing"] = .dict(timing)
        let bytes: [UInt8]
        do { bytes = try OpenPIMessage.encode(reply) } catch {
            sendError(Self.traceback(for: error), on: channel)
            return
        }
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
        stats.withLock { $0.replies += 1 }
        previousTotalMilliseconds.withLock { $0 = Double(DispatchTime.now().uptimeNanoseconds - receivedNanos) / 1e6 }
    }

    /// openpi's error path: the traceback as a text frame, then close 1011.
    private func sendError(_ text: String, on channel: any Channel) {
        stats.withLock { $0.errorFrames += 1 }
        channel.write(WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text)), promise: nil)
        var payload = channel.allocator.buffer(capacity: 64)
        payload.write(webSocketErrorCode: .unexpectedServerError)
        payload.writeString(Self.errorCloseReason)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    /// A Python-style traceback for a Swift error, so clients that summarise tracebacks by
    /// their first and last lines show the error.
    static func traceback(for error: any Error) -> String {
        traceback(type: String(describing: type(of: error)), "\(error)")
    }

    static func traceback(type: String, _ message: String) -> String {
        """
        Traceback (most recent call last):
          File "pld-sim policy server", in handler
        \(type): \(message)
        """
    }

    private func interruptibleSleep(seconds: Double) {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1e9)
        while !stopping.load(ordering: .acquiring) {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return }
            usleep(UInt32(min(deadline - now, 10_000_000) / 1_000))
        }
    }
}

/// A policy server setup failure, one line naming the address.
public struct PolicyServerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
