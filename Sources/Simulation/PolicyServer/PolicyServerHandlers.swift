import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Plain HTTP on the policy port (requests that are not WebSocket upgrades): `GET /healthz`
/// answers `OK\n` like `serve_policy.py`; anything else gets 426 Upgrade Required. Removed
/// from the pipeline once a connection upgrades.
final class PlainHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    static let name = "pld-policy-plain-http"

    private let server: OpenPIPolicyServer
    private var path: String?

    init(server: OpenPIPolicyServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
        case .body:
            break
        case .end:
            let isHealth = path.map { $0 == "/healthz" || $0.hasPrefix("/healthz?") } ?? false
            let status: HTTPResponseStatus = isHealth ? .ok : .upgradeRequired
            let body = isHealth ? "OK\n" : "Failed to open a WebSocket connection: this is a policy WebSocket server.\n"
            if isHealth { server.healthChecked() }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            path = nil
        }
    }
}

/// One upgraded connection: sends the metadata frame, hands observation frames to the server's
/// handler thread, answers pings and close frames. A text frame from a client is not part of
/// the protocol and gets the error path, as a Python server would fail to unpack it.
final class PolicyServerFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let server: OpenPIPolicyServer
    private var closeSent = false

    init(server: OpenPIPolicyServer) { self.server = server }

    func handlerAdded(context: ChannelHandlerContext) {
        server.connectionOpened(context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            server.received(frame.unmaskedData, isText: false, on: context.channel)
        case .text:
            server.received(frame.unmaskedData, isText: true, on: context.channel)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            guard !closeSent else {
                context.close(promise: nil)
                return
            }
            closeSent = true
            var payload = context.channel.allocator.buffer(capacity: 2)
            payload.write(webSocketErrorCode: .normalClosure)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
