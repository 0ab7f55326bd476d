import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// NIO errors as one-line `PolicyClientError`s.
enum NetworkFailure {
    /// A failed TCP connect: refused, unresolvable or timed out.
    static func connect(_ error: any Error, url: String, timeoutSeconds: Double) -> PolicyClientError {
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return PolicyClientError(.timeout, url: url, "no TCP connection within \(format(timeoutSeconds)) s")
        }
        if let connectionError = error as? NIOConnectionError {
            if let first = connectionError.connectionErrors.first {
                return connect(first.error, url: url, timeoutSeconds: timeoutSeconds)
            }
            if connectionError.dnsAError != nil || connectionError.dnsAAAAError != nil {
                return PolicyClientError(.refused, url: url, "cannot resolve host \(connectionError.host)")
            }
            return PolicyClientError(.refused, url: url, "cannot connect to \(connectionError.host):\(connectionError.port)")
        }
        if let ioError = error as? IOError {
            if ioError.errnoCode == ECONNREFUSED {
                return PolicyClientError(.refused, url: url, "connection refused (is the policy server running?)")
            }
            return PolicyClientError(.refused, url: url, "cannot connect: \(String(cString: strerror(ioError.errnoCode)))")
        }
        return PolicyClientError(.refused, url: url, "cannot connect: \(error)")
    }

    /// An error caught in a channel pipeline after the connection was up.
    static func channel(_ error: any Error) -> (PolicyErrorKind, String) {
        if let wsError = error as? NIOWebSocketError {
            switch wsError {
            case .invalidFrameLength:
                return (.tooLarge, "a frame exceeded the size cap and was refused")
            default:
                return (.protocolError, "websocket protocol error: \(wsError)")
            }
        }
        if let aggregatorError = error as? NIOWebSocketFrameAggregator.Error {
            switch aggregatorError {
            case .accumulatedFrameSizeIsTooLarge:
                return (.tooLarge, "a fragmented message exceeded the size cap and was refused")
            default:
                return (.protocolError, "websocket fragmentation error: \(aggregatorError)")
            }
        }
        if error is HTTPParserError {
            return (.protocolError, "malformed HTTP from the server: \(error)")
        }
        if let upgradeError = error as? NIOHTTPClientUpgradeError {
            return (.protocolError, "websocket handshake refused (\(upgradeError))")
        }
        if let ioError = error as? IOError {
            return (.connectionLost, "connection error: \(String(cString: strerror(ioError.errnoCode)))")
        }
        return (.connectionLost, "connection error: \(error)")
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.3g", seconds)
    }
}
