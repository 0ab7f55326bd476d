import NIOCore
import NIOHTTP1
import NIOPosix
import PLDCore
import Wire

/// A client of an OpenVLA / OpenVLA-OFT `deploy.py` server: `POST /act` with a json-numpy body
/// (`openpi-and-vla-servers.md` §2).
///
/// Replies: OpenVLA answers one action (a json-numpy array of shape `(dims,)`), OFT a JSON list
/// of `(dims,)` arrays (the whole chunk); a `(steps, dims)` array, a plain list of numbers or
/// lists, an `{"actions": …}` / `{"action": …}` object and the `"encoded"` fallback (a JSON
/// string holding the json-numpy text) are read too. Errors are **not** HTTP errors: the
/// server answers status 200 with the JSON string `"error"`, which becomes a `serverError`.
///
/// Each request is its own HTTP exchange; "connected" means the last exchange reached the
/// server and did not answer an error. `connect()` probes `GET /` (any HTTP answer means a
/// server is listening). There is no metadata (`{}`).
///
/// Threading: blocking; call from one thread at a time (the policy worker's).
public final class OpenVLARESTClient: BasePolicyClient {
    public let settings: PolicyClientSettings
    public var url: ServiceURL { settings.url }
    public let metadata = OpenPIDict()
    public private(set) var isConnected = false

    private let group: any EventLoopGroup
    private var urlText: String { settings.url.description }

    public init(settings: PolicyClientSettings, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        self.group = eventLoopGroup
    }

    public func connect() throws(PolicyClientError) {
        isConnected = false
        try checkHealth()
        isConnected = true
    }

    public func checkHealth() throws(PolicyClientError) {
        _ = try exchange(method: .GET, path: "/", body: nil, timeoutSeconds: settings.connectTimeoutSeconds)
    }

    public func infer(_ observation: OpenPIDict) throws(PolicyClientError) -> PolicyReply {
        var request = observation
        if let unnormKey = settings.unnormKey, request["unnorm_key"] == nil { request["unnorm_key"] = .string(unnormKey) }
        let body: [UInt8]
        do { body = try JSONNumpy.encode(.dict(request)) } catch {
            throw PolicyClientError(.invalidRequest, url: urlText, "cannot encode observation: \(error)")
        }
        let path = settings.url.path.isEmpty ? "/act" : settings.url.path
        let start = PolicyClock.monotonicNanos()
        let response: HTTPExchange.Response
        do {
            response = try exchange(method: .POST, path: path, body: body, timeoutSeconds: settings.requestTimeoutSeconds)
        } catch {
            isConnected = false
            throw error
        }
        let roundTrip = PolicyClock.milliseconds(since: start)
        do throws(PolicyClientError) {
            guard response.status == 200 else {
                let text = String(decoding: response.body.prefix(300), as: UTF8.self)
                throw PolicyClientError(.serverError, url: urlText, "POST \(path) answered HTTP \(response.status): \(text)")
            }
            let reply = try parseReply(response.body, roundTripMilliseconds: roundTrip)
            try reply.check(expectedDimensions: settings.expectedActionDimensions, maxSteps: settings.maxSteps, url: urlText)
            isConnected = true
            return reply
        } catch {
            // The server answered, so a refused reply keeps the client usable; an error answer
            // counts as a lost connection, so the worker backs off and probes again.
            isConnected = error.kind != .serverError
            throw error
        }
    }

    public func close() {
        isConnected = false
    }

    // MARK: HTTP

    private func exchange(method: HTTPMethod, path: String, body: [UInt8]?, timeoutSeconds: Double) throws(PolicyClientError)
        -> HTTPExchange.Response
    {
        guard settings.url.scheme == .http else {
            throw PolicyClientError(
                .protocolError, url: urlText,
                "\(settings.url.scheme.rawValue):// needs TLS, which this build does not include; use http:// (or a TLS-terminating proxy on this machine)")
        }
        var host = settings.url.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var headers: [(String, String)] = []
        if body != nil { headers.append(("Content-Type", "application/json")) }
        if let apiKey = settings.apiKey { headers.append(("Authorization", "Api-Key \(apiKey)")) }
        return try HTTPExchange.perform(
            group: group, host: host, port: settings.url.port ?? 80,
            hostHeader: settings.url.host + (settings.url.port.map { ":\($0)" } ?? ""),
            method: method, path: path, headers: headers, body: body, timeoutSeconds: timeoutSeconds,
            maxBodyBytes: settings.maxMessageBytes, url: urlText)
    }

    // MARK: Replies

    private func parseReply(_ body: [UInt8], roundTripMilliseconds: Double) throws(PolicyClientError) -> PolicyReply {
        var json: JSONNumpy.JSON
        do { json = try JSONNumpy.parse(body) } catch {
            throw PolicyClientError(.malformedReply, url: urlText, "\(error)")
        }
        if case .string(let text) = json {
            if text == "error" {
                throw PolicyClientError(.serverError, url: urlText, "server answered \"error\" (its log has the traceback)")
            }
            // The `"encoded"` fallback: the reply is a JSON string holding json-numpy text.
            do { json = try JSONNumpy.parse(Array(text.utf8)) } catch {
                throw PolicyClientError(.malformedReply, url: urlText, "reply is a string that is neither \"error\" nor JSON")
            }
        }
        if case .object(let object) = json, let inner = object["actions"] ?? object["action"] {
            json = inner
        }
        do {
            return try chunk(from: json, roundTripMilliseconds: roundTripMilliseconds)
        } catch let error as PolicyClientError {
            throw error
        } catch {
            throw PolicyClientError(.malformedReply, url: urlText, "\(error)")
        }
    }

    private func chunk(from json: JSONNumpy.JSON, roundTripMilliseconds: Double) throws -> PolicyReply {
        if let array = try JSONNumpy.array(from: json) {
            return try PolicyReply.fromArray(array, roundTripMilliseconds: roundTripMilliseconds, url: urlText)
        }
        guard case .array(let items) = json, !items.isEmpty else {
            throw PolicyClientError(.malformedReply, url: urlText, "reply is neither an action array nor a list of actions")
        }
        if items.allSatisfy({ if case .number = $0 { true } else { false } }) {
            let values = items.map { item -> Double in
                if case .number(let d) = item { return d }
                return 0
            }
            return PolicyReply(
                steps: 1, dimensions: values.count, actions: values, actionDType: "json",
                roundTripMilliseconds: roundTripMilliseconds)
        }
        var rows: [[Double]] = []
        var dtype = "json"
        for (index, item) in items.enumerated() {
            if let array = try JSONNumpy.array(from: item) {
                guard array.shape.count <= 1 else {
                    throw PolicyClientError(.wrongDimensions, url: urlText, "action \(index) has shape \(array.shape); expected (dims,)")
                }
                dtype = array.dtype.numpyString
                let row = try PolicyReply.fromArray(array, roundTripMilliseconds: 0, url: urlText)
                rows.append(row.actions)
            } else if case .array(let numbers) = item {
                rows.append(try numbers.map { value in
                    guard case .number(let d) = value else {
                        throw PolicyClientError(.malformedReply, url: urlText, "action \(index) holds a non-number")
                    }
                    return d
                })
            } else {
                throw PolicyClientError(.malformedReply, url: urlText, "action \(index) is neither a json-numpy array nor a list")
            }
        }
        let dimensions = rows[0].count
        if let ragged = rows.firstIndex(where: { $0.count != dimensions }) {
            throw PolicyClientError(
                .wrongDimensions, url: urlText, "action \(ragged) has \(rows[ragged].count) values, action 0 has \(dimensions)")
        }
        return PolicyReply(
            steps: rows.count, dimensions: dimensions, actions: rows.flatMap { $0 }, actionDType: dtype,
            roundTripMilliseconds: roundTripMilliseconds)
    }
}
