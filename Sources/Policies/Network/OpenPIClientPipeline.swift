import NIOCore
import NIOHTTP1
import NIOWebSocket

/// What the openpi client's channel tells the waiting worker thread.
enum WebSocketEvent: Sendable {
    /// The HTTP upgrade succeeded; frames follow.
    case upgraded
    /// The server answered the upgrade request with something other than 101.
    case rejected(status: Int, reason: String)
    case binary(ByteBuffer)
    case text(String)
    /// The server sent a close frame.
    case closed(code: Int?, reason: String)
    /// The TCP connection ended.
    case inactive
    case failure(PolicyErrorKind, String)
}

/// Pipeline of one openpi client connection: HTTP/1.1 for the upgrade request, then WebSocket
/// frames (size-capped decoder, fragment aggregation) into `OpenPIClientFrameHandler`.
/// permessage-deflate is never offered, so frames are never compressed.
enum OpenPIClientPipeline {
    /// Runs on the channel's event loop (from `ClientBootstrap.channelInitializer`).
    static func configure(_ channel: any Channel, mailbox: BlockingMailbox<WebSocketEvent>, maxFrameBytes: Int) throws {
        let maxFrame = min(maxFrameBytes, Int(UInt32.max))
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: maxFrame, automaticErrorHandling: true) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    NIOWebSocketFrameAggregator(
                        minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16, maxAccumulatedFrameSize: maxFrame))
                try channel.pipeline.syncOperations.addHandler(OpenPIClientFrameHandler(mailbox: mailbox))
            }
        }
        try channel.pipeline.syncOperations.addHTTPClientHandlers(
            leftOverBytesStrategy: .forwardBytes,
            withClientUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    // The watcher reads HTTP parts; WebSocket bytes must not reach it.
                    context.pipeline.syncOperations.removeHandler(name: HandshakeWatcher.name, promise: nil)
                }
            ))
        try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(mailbox: mailbox), name: HandshakeWatcher.name)
    }
}

/// Sees the HTTP response only when the upgrade did not happen (the upgrade handler passes a
/// non-101 response on), and reports it.
final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    static let name = "pld-openpi-handshake"
    private let mailbox: BlockingMailbox<WebSocketEvent>
    private var reported = false

    init(mailbox: BlockingMailbox<WebSocketEvent>) { self.mailbox = mailbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), !reported {
            reported = true
            mailbox.post(.rejected(status: Int(head.status.code), reason: head.status.reasonPhrase))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (kind, text) = NetworkFailure.channel(error)
        mailbox.post(.failure(kind, text))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Posted after the current event-loop turn: a pipeline error that closed the channel
        // (e.g. an oversized frame) is delivered after this call and must be seen first.
        let mailbox = self.mailbox
        context.eventLoop.execute { mailbox.post(.inactive) }
        context.fireChannelInactive()
    }
}

/// The last handler once the connection is a WebSocket: forwards data frames to the waiting
/// thread, answers pings (the `websockets` server pings every 20 s and drops peers that do
/// not answer), and answers a close frame with a close frame.
final class OpenPIClientFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private let mailbox: BlockingMailbox<WebSocketEvent>
    private var closeSent = false

    init(mailbox: BlockingMailbox<WebSocketEvent>) { self.mailbox = mailbox }

    func handlerAdded(context: ChannelHandlerContext) {
        mailbox.post(.upgraded)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            mailbox.post(.binary(frame.unmaskedData))
        case .text:
            var payload = frame.unmaskedData
            mailbox.post(.text(payload.readString(length: payload.readableBytes) ?? ""))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var payload = frame.unmaskedData
            let code = payload.readInteger(as: UInt16.self).map(Int.init)
            let reason = payload.readString(length: payload.readableBytes) ?? ""
            mailbox.post(.closed(code: code, reason: reason))
            if !closeSent {
                closeSent = true
                var echo = context.channel.allocator.buffer(capacity: 2)
                echo.write(webSocketErrorCode: .normalClosure)
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
                context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (kind, text) = NetworkFailure.channel(error)
        mailbox.post(.failure(kind, text))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Posted after the current event-loop turn: a pipeline error that closed the channel
        // (e.g. an oversized frame) is delivered after this call and must be seen first.
        let mailbox = self.mailbox
        context.eventLoop.execute { mailbox.post(.inactive) }
        context.fireChannelInactive()
    }
}
