import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import PLDCore
import Wire

/// A client of an openpi policy server (`scripts/serve_policy.py`): one WebSocket, binary
/// msgpack-numpy frames, strictly one request in flight (`openpi-and-vla-servers.md` §1).
///
/// `connect()` opens `ws://host:port` (with `Authorization: Api-Key <key>` when a key is set,
/// no permessage-deflate, frames up to `maxMessageBytes`) and reads the metadata frame the
/// server sends first. `infer(_:)` sends one observation and waits for one reply. A text frame
/// is the server's traceback: it becomes a `serverError` naming its first and last lines, and
/// the connection is closed (the server closes with 1011 anyway). A request that times out
/// also closes the connection, so a late reply can never be taken for the next one.
///
/// Threading: blocking; call from one thread at a time (the policy worker's). NIO's event loop
/// threads do the I/O and hand frames over through a mailbox.
public final class OpenPIWebSocketClient: BasePolicyClient {
    public let settings: PolicyClientSettings
    public var url: ServiceURL { settings.url }
    public private(set) var metadata = OpenPIDict()
    public var isConnected: Bool { connection != nil }

    private struct Connection {
        var channel: any Channel
        var mailbox: BlockingMailbox<WebSocketEvent>
    }

    private let group: any EventLoopGroup
    private var connection: Connection?
    private var encoder = MessagePackEncoder(reservingCapacity: 1 << 20)
    private var urlText: String { settings.url.description }

    /// `eventLoopGroup` does the socket I/O; the default is NIO's process-wide group.
    public init(settings: PolicyClientSettings, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        self.group = eventLoopGroup
    }

    deinit { close() }

    public func connect() throws(PolicyClientError) {
        close()
        guard settings.url.scheme == .ws else {
            throw PolicyClientError(
                .protocolError, url: urlText,
                "\(settings.url.scheme.rawValue):// needs TLS, which this build does not include; use ws:// (or a TLS-terminating proxy on this machine)")
        }
        let deadline = PolicyClock.deadline(afterSeconds: settings.connectTimeoutSeconds)
        let mailbox = BlockingMailbox<WebSocketEvent>()
        let channel = try openChannel(mailbox: mailbox)
        do {
            try handshake(channel: channel, mailbox: mailbox, deadline: deadline)
            metadata = try readMetadata(mailbox: mailbox, deadline: deadline)
        } catch {
            channel.close(promise: nil)
            throw error
        }
        connection = Connection(channel: channel, mailbox: mailbox)
    }

    public func infer(_ observation: OpenPIDict) throws(PolicyClientError) -> PolicyReply {
        guard let connection else {
            throw PolicyClientError(.connectionLost, url: urlText, "not connected")
        }
        // Anything queued before we send means the connection is no longer usable.
        for event in connection.mailbox.drain() {
            if let error = failure(from: event, waitingFor: "the next request") {
                close()
                throw error
            }
        }
        encoder.removeAll()
        do { try OpenPIMessage.encode(observation, into: &encoder) } catch {
            throw PolicyClientError(.invalidRequest, url: urlText, "cannot encode observation: \(error)")
        }
        guard encoder.bytes.count <= settings.maxMessageBytes else {
            throw PolicyClientError(
                .invalidRequest, url: urlText,
                "observation is \(encoder.bytes.count) bytes, over the \(settings.maxMessageBytes)-byte cap")
        }
        let start = PolicyClock.monotonicNanos()
        let deadline = PolicyClock.deadline(afterSeconds: settings.requestTimeoutSeconds)
        let payload = connection.channel.allocator.buffer(bytes: encoder.bytes)
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: payload)
        let mailbox = connection.mailbox
        connection.channel.writeAndFlush(frame).whenFailure { error in
            mailbox.post(.failure(.connectionLost, "sending the observation failed: \(error)"))
        }
        while true {
            guard let event = mailbox.next(deadlineNanos: deadline) else {
                close()
                throw PolicyClientError(
                    .timeout, url: urlText,
                    "no reply within \(NetworkFailure.format(settings.requestTimeoutSeconds)) s (request timeout); connection closed")
            }
            if case .binary(let buffer) = event {
                // The exchange is complete, so a bad reply leaves the connection usable.
                let roundTrip = PolicyClock.milliseconds(since: start)
                let reply = try decodeReply(buffer, roundTripMilliseconds: roundTrip)
                try reply.check(expectedDimensions: settings.expectedActionDimensions, maxSteps: settings.maxSteps, url: urlText)
                return reply
            }
            if let error = failure(from: event, waitingFor: "the reply") {
                close()
                throw error
            }
        }
    }

    public func checkHealth() throws(PolicyClientError) {
        let (host, port) = endpoint()
        let response = try HTTPExchange.perform(
            group: group, host: host, port: port, hostHeader: hostHeader(), method: .GET, path: "/healthz",
            headers: [], body: nil, timeoutSeconds: settings.connectTimeoutSeconds, maxBodyBytes: 1 << 16, url: urlText)
        guard response.status == 200 else {
            throw PolicyClientError(.serverError, url: urlText, "GET /healthz answered HTTP \(response.status)")
        }
    }

    public func close() {
        guard let connection else { return }
        self.connection = nil
        let channel = connection.channel
        guard channel.isActive else {
            channel.close(promise: nil)
            return
        }
        var payload = channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: .normalClosure)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)
        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: Connecting

    private func endpoint() -> (host: String, port: Int) {
        var host = settings.url.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, settings.url.port ?? 80)
    }

    private func hostHeader() -> String {
        settings.url.host + (settings.url.port.map { ":\($0)" } ?? "")
    }

    private func openChannel(mailbox: BlockingMailbox<WebSocketEvent>) throws(PolicyClientError) -> any Channel {
        let (host, port) = endpoint()
        let maxFrameBytes = settings.maxMessageBytes
        let timeout = settings.connectTimeoutSeconds
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(Int64(max(timeout, 0.001) * 1e9)))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try OpenPIClientPipeline.configure(channel, mailbox: mailbox, maxFrameBytes: maxFrameBytes)
                }
            }
        do {
            return try bootstrap.connect(host: host, port: port).wait()
        } catch {
            throw NetworkFailure.connect(error, url: urlText, timeoutSeconds: timeout)
        }
    }

    /// Sends the upgrade request and waits for the 101.
    private func handshake(channel: any Channel, mailbox: BlockingMailbox<WebSocketEvent>, deadline: UInt64) throws(PolicyClientError) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader())
        headers.add(name: "User-Agent", value: "pld-policy-client")
        if let apiKey = settings.apiKey { headers.add(name: "Authorization", value: "Api-Key \(apiKey)") }
        let path = settings.url.path.isEmpty ? "/" : settings.url.path
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        while true {
            guard let event = mailbox.next(deadlineNanos: deadline) else {
                throw PolicyClientError(
                    .timeout, url: urlText,
                    "no WebSocket handshake within \(NetworkFailure.format(settings.connectTimeoutSeconds)) s (connect timeout)")
            }
            switch event {
            case .upgraded:
                return
            case .rejected(let status, let reason):
                throw PolicyClientError(
                    .protocolError, url: urlText, "WebSocket upgrade refused: HTTP \(status) \(reason)")
            default:
                if let error = failure(from: event, waitingFor: "the WebSocket handshake") { throw error }
            }
        }
    }

    /// The first frame of every connection: the policy metadata dict.
    private func readMetadata(mailbox: BlockingMailbox<WebSocketEvent>, deadline: UInt64) throws(PolicyClientError) -> OpenPIDict {
        while true {
            guard let event = mailbox.next(deadlineNanos: deadline) else {
                throw PolicyClientError(
                    .timeout, url: urlText,
                    "no metadata frame within \(NetworkFailure.format(settings.connectTimeoutSeconds)) s of connecting (connect timeout)")
            }
            if case .binary(let buffer) = event {
                do {
                    return try buffer.withUnsafeReadableBytes { bytes in try OpenPIMessage.decode(bytes, limits: limits) }
                } catch {
                    throw PolicyClientError(.malformedReply, url: urlText, "metadata frame is not a msgpack dict: \(error)")
                }
            }
            if let error = failure(from: event, waitingFor: "the metadata frame") { throw error }
        }
    }

    // MARK: Replies

    private var limits: MessagePackLimits {
        MessagePackLimits(maxInputBytes: settings.maxMessageBytes, maxBinaryBytes: settings.maxMessageBytes)
    }

    private func decodeReply(_ buffer: ByteBuffer, roundTripMilliseconds: Double) throws(PolicyClientError) -> PolicyReply {
        let dict: OpenPIDict
        do {
            dict = try buffer.withUnsafeReadableBytes { bytes in try OpenPIMessage.decode(bytes, limits: limits) }
        } catch {
            throw PolicyClientError(
                .malformedReply, url: urlText, "reply (\(buffer.readableBytes) bytes) is not an openpi msgpack dict: \(error)")
        }
        return try PolicyReply.openPI(dict, roundTripMilliseconds: roundTripMilliseconds, url: urlText)
    }

    /// The error an event means while waiting for something else; nil for events to skip.
    private func failure(from event: WebSocketEvent, waitingFor what: String) -> PolicyClientError? {
        switch event {
        case .upgraded:
            return nil
        case .binary(let buffer):
            return PolicyClientError(
                .protocolError, url: urlText, "unexpected binary frame (\(buffer.readableBytes) bytes) while waiting for \(what)")
        case .rejected(let status, let reason):
            return PolicyClientError(.protocolError, url: urlText, "HTTP \(status) \(reason) while waiting for \(what)")
        case .text(let text):
            return PolicyClientError(.serverError, url: urlText, "server error: \(PolicyClientError.summarizeTraceback(text))")
        case .closed(let code, let reason):
            let codeText = code.map { " with code \($0)" } ?? ""
            let reasonText = reason.isEmpty ? "" : " (\(reason))"
            return PolicyClientError(.connectionLost, url: urlText, "server closed the connection\(codeText)\(reasonText) while waiting for \(what)")
        case .inactive:
            return PolicyClientError(.connectionLost, url: urlText, "connection dropped while waiting for \(what)")
        case .failure(let kind, let text):
            return PolicyClientError(kind, url: urlText, "\(text) while waiting for \(what)")
        }
    }
}
