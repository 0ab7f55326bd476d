import Foundation
import PLDCore
import Wire

/// A connection to a base VLA policy server (openpi websocket or OpenVLA REST), as the policy
/// worker uses it. The worker does not care which protocol is behind it.
///
/// Contract: every call blocks (at most the configured connect or request timeout) and is
/// made from one thread at a time — the policy worker's, never the control thread. After a
/// transport error from `infer` (timeout, server error, lost connection) the connection is
/// closed (`isConnected` is false) and the caller reconnects with backoff; a client never
/// reconnects by itself. A reply whose content is refused (malformed, wrong width, NaN)
/// completes the exchange, so the connection stays open.
public protocol BasePolicyClient: AnyObject {
    /// The server, as configured (named in every error line).
    var url: ServiceURL { get }
    /// Metadata from the current or last connection: openpi's metadata frame (usually `{}`;
    /// ALOHA configs put `reset_pose` there), `{}` for REST servers. Recorded per episode.
    var metadata: OpenPIDict { get }
    /// True between a successful `connect()` and `close()` or the first failed `infer`.
    var isConnected: Bool { get }
    /// Opens a connection (closing any previous one) and, for openpi, reads the metadata frame.
    func connect() throws(PolicyClientError)
    /// Sends one observation and waits for its reply, at most the request timeout.
    func infer(_ observation: OpenPIDict) throws(PolicyClientError) -> PolicyReply
    /// A liveness probe without using the policy connection: openpi `GET /healthz` (200 "OK").
    func checkHealth() throws(PolicyClientError)
    /// Closes the connection; safe to call at any time, more than once.
    func close()
}

/// Everything a policy client needs to know, taken from `PolicyConfig` (plus the API key read
/// from its file, and the expected action width).
public struct PolicyClientSettings: Sendable, Equatable {
    public var url: ServiceURL
    /// Sent as `Authorization: Api-Key <key>` when present.
    public var apiKey: String?
    /// One inference (send → reply), s.
    public var requestTimeoutSeconds: Double
    /// Connecting (TCP, handshake and the openpi metadata frame), s.
    public var connectTimeoutSeconds: Double
    /// Largest frame or body accepted from the server; anything larger is refused before it
    /// is buffered. Default 64 MiB (an ALOHA observation is about 600 KB, a reply a few KB).
    public var maxMessageBytes: Int
    /// Width every reply's actions must have; nil = any.
    public var expectedActionDimensions: Int?
    /// Most steps a reply may carry. Default `baseChunkMaxSteps`.
    public var maxSteps: Int
    /// OpenVLA only: sent as `unnorm_key` with every request.
    public var unnormKey: String?

    public init(
        url: ServiceURL, apiKey: String? = nil, requestTimeoutSeconds: Double = 2, connectTimeoutSeconds: Double = 5,
        maxMessageBytes: Int = 64 << 20, expectedActionDimensions: Int? = nil, maxSteps: Int = baseChunkMaxSteps,
        unnormKey: String? = nil
    ) {
        self.url = url
        self.apiKey = apiKey
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.maxMessageBytes = maxMessageBytes
        self.expectedActionDimensions = expectedActionDimensions
        self.maxSteps = maxSteps
        self.unnormKey = unnormKey
    }

    /// Settings for `config`. `apiKeyPath` is `config.apiKeyFile` resolved against the config
    /// file's directory (`ConfigSource.resolve`); the key is its first line, trimmed.
    public init(config: PolicyConfig, apiKeyPath: String? = nil, expectedActionDimensions: Int?) throws(PolicyClientError) {
        var key: String?
        if let path = apiKeyPath ?? config.apiKeyFile {
            key = try Self.readAPIKey(path: path, url: config.url.description)
        }
        self.init(
            url: config.url, apiKey: key, requestTimeoutSeconds: config.requestTimeoutS,
            connectTimeoutSeconds: config.connectTimeoutS,
            expectedActionDimensions: config.actionDim ?? expectedActionDimensions, unnormKey: config.unnormKey)
    }

    /// The first line of the key file, trimmed; an unreadable or empty file is an error.
    public static func readAPIKey(path: String, url: String) throws(PolicyClientError) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        guard let data = FileManager.default.contents(atPath: expanded), data.count <= 64 << 10 else {
            throw PolicyClientError(.invalidRequest, url: url, "cannot read API key file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let key = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !key.isEmpty else { throw PolicyClientError(.invalidRequest, url: url, "API key file \(path) is empty") }
        return key
    }
}

/// Builds the client for a configured policy kind.
public enum BasePolicyClients {
    public static func make(kind: PolicyKind, settings: PolicyClientSettings) -> any BasePolicyClient {
        switch kind {
        case .openpi: OpenPIWebSocketClient(settings: settings)
        case .openvlaRest: OpenVLARESTClient(settings: settings)
        }
    }
}
