import NIOCore
import NIOHTTP1
import NIOPosix

/// One blocking HTTP/1.1 request on its own connection (`Connection: close`): the openpi
/// `/healthz` probe and the OpenVLA `POST /act`. The body is capped: a larger `Content-Length`
/// or body is refused before it is buffered.
///
/// Threading: blocks the calling thread (never an event loop thread) for at most the timeout.
enum HTTPExchange {
    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
    }

    enum Event: Sendable {
        case head(status: Int, contentLength: Int?)
        case body(ByteBuffer)
        case end
        case inactive
        case failure(PolicyErrorKind, String)
    }

    static func perform(
        group: any EventLoopGroup, host: String, port: Int, hostHeader: String, method: HTTPMethod, path: String,
        headers extraHeaders: [(String, String)], body: [UInt8]?, timeoutSeconds: Double, maxBodyBytes: Int, url: String
    ) throws(PolicyClientError) -> Response {
        let deadline = PolicyClock.deadline(afterSeconds: timeoutSeconds)
        let mailbox = BlockingMailbox<Event>()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(Int64(max(timeoutSeconds, 0.001) * 1e9)))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(mailbox: mailbox))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.connect(host: host, port: port).wait()
        } catch {
            throw NetworkFailure.connect(error, url: url, timeoutSeconds: timeoutSeconds)
        }
        defer { channel.close(promise: nil) }

        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        headers.add(name: "User-Agent", value: "pld-policy-client")
        headers.add(name: "Connection", value: "close")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if let body { headers.add(name: "Content-Length", value: String(body.count)) }
        channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)), promise: nil)
        if let body {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)

        var status: Int?
        var received: [UInt8] = []
        while true {
            guard let event = mailbox.next(deadlineNanos: deadline) else {
                throw PolicyClientError(
                    .timeout, url: url,
                    "no complete answer to \(method.rawValue) \(path) within \(NetworkFailure.format(timeoutSeconds)) s")
            }
            switch event {
            case .head(let code, let contentLength):
                status = code
                if let contentLength, contentLength > maxBodyBytes {
                    throw PolicyClientError(
                        .tooLarge, url: url, "\(method.rawValue) \(path): body of \(contentLength) bytes is over the \(maxBodyBytes)-byte cap")
                }
            case .body(let buffer):
                guard received.count + buffer.readableBytes <= maxBodyBytes else {
                    throw PolicyClientError(
                        .tooLarge, url: url, "\(method.rawValue) \(path): body is over the \(maxBodyBytes)-byte cap")
                }
                received.append(contentsOf: buffer.readableBytesView)
            case .end:
                guard let status else {
                    throw PolicyClientError(.protocolError, url: url, "\(method.rawValue) \(path): response without a status line")
                }
                return Response(status: status, body: received)
            case .inactive:
                throw PolicyClientError(.connectionLost, url: url, "connection closed before the answer to \(method.rawValue) \(path) was complete")
            case .failure(let kind, let text):
                throw PolicyClientError(kind, url: url, "\(method.rawValue) \(path): \(text)")
            }
        }
    }

    final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        private let mailbox: BlockingMailbox<Event>

        init(mailbox: BlockingMailbox<Event>) { self.mailbox = mailbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                let length = head.headers.first(name: "Content-Length").flatMap { Int($0) }
                mailbox.post(.head(status: Int(head.status.code), contentLength: length))
            case .body(let buffer):
                mailbox.post(.body(buffer))
            case .end:
                mailbox.post(.end)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            let (kind, text) = NetworkFailure.channel(error)
            mailbox.post(.failure(kind, text))
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            // After this event-loop turn, so an error that closed the channel is seen first.
            let mailbox = self.mailbox
            context.eventLoop.execute { mailbox.post(.inactive) }
            context.fireChannelInactive()
        }
    }
}
