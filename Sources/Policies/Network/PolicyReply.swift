import Wire

/// One inference reply from a base policy server, whatever the protocol: an action chunk of
/// `steps` × `dimensions` values plus the server's timing, if it sent any.
///
/// openpi sends `actions` as a (horizon × dims) ndarray (float32 or float64) with
/// `policy_timing` / `server_timing`; OpenVLA sends one action, OpenVLA-OFT a list of actions.
/// Both clients check the shape, the step count and finiteness before returning one.
///
/// Threading: a value; share freely. It allocates, so it never reaches the control thread
/// (the worker copies it into a `BaseChunk`).
public struct PolicyReply: Sendable, Equatable {
    /// Number of actions (rows).
    public var steps: Int
    /// Width of each action.
    public var dimensions: Int
    /// Row-major `[step * dimensions + dimension]`, widened to `Double`.
    public var actions: [Double]
    /// The dtype the server sent the actions in (`<f4`, `<f8`, `<f2`).
    public var actionDType: String
    /// openpi `policy_timing.infer_ms`: model sampling time, ms.
    public var policyInferMilliseconds: Double?
    /// openpi `server_timing.infer_ms`: the whole `policy.infer`, transforms included, ms.
    public var serverInferMilliseconds: Double?
    /// openpi `server_timing.prev_total_ms`: receive-to-send time of the previous request, ms.
    public var serverPreviousTotalMilliseconds: Double?
    /// Client-side send → reply time, ms.
    public var roundTripMilliseconds: Double

    public init(
        steps: Int, dimensions: Int, actions: [Double], actionDType: String, roundTripMilliseconds: Double,
        policyInferMilliseconds: Double? = nil, serverInferMilliseconds: Double? = nil,
        serverPreviousTotalMilliseconds: Double? = nil
    ) {
        self.steps = steps
        self.dimensions = dimensions
        self.actions = actions
        self.actionDType = actionDType
        self.roundTripMilliseconds = roundTripMilliseconds
        self.policyInferMilliseconds = policyInferMilliseconds
        self.serverInferMilliseconds = serverInferMilliseconds
        self.serverPreviousTotalMilliseconds = serverPreviousTotalMilliseconds
    }

    public subscript(step: Int, dimension: Int) -> Double { actions[step * dimensions + dimension] }

    /// Refuses a reply the control thread must never see: no steps, more than `maxSteps`, a
    /// width other than `expectedDimensions` (when given) or wider than an `ActionVector`, and
    /// NaN/Inf values.
    public func check(expectedDimensions: Int?, maxSteps: Int, url: String) throws(PolicyClientError) {
        guard steps >= 1, dimensions >= 1 else {
            throw PolicyClientError(.wrongDimensions, url: url, "empty action chunk (\(steps) × \(dimensions))")
        }
        if let expectedDimensions, dimensions != expectedDimensions {
            throw PolicyClientError(
                .wrongDimensions, url: url,
                "actions are \(dimensions) wide, expected \(expectedDimensions) (shape \(steps) × \(dimensions))")
        }
        guard steps <= maxSteps else {
            throw PolicyClientError(.wrongDimensions, url: url, "chunk of \(steps) steps; at most \(maxSteps) are accepted")
        }
        if let bad = actions.firstIndex(where: { !$0.isFinite }) {
            throw PolicyClientError(
                .nonFiniteActions, url: url,
                "action \(bad / dimensions) dimension \(bad % dimensions) is \(actions[bad]) (non-finite actions refused)")
        }
    }

    /// Reads an openpi reply dict: `actions` (1-D = one action, 2-D = a chunk) and the
    /// optional timing blocks.
    static func openPI(_ reply: OpenPIDict, roundTripMilliseconds: Double, url: String) throws(PolicyClientError) -> PolicyReply {
        guard let value = reply["actions"] else {
            throw PolicyClientError(.malformedReply, url: url, "reply has no `actions` (keys: \(reply.keys.joined(separator: ", ")))")
        }
        guard let array = value.arrayValue else {
            throw PolicyClientError(.malformedReply, url: url, "`actions` is not an ndarray")
        }
        var result = try fromArray(array, roundTripMilliseconds: roundTripMilliseconds, url: url)
        result.policyInferMilliseconds = reply["policy_timing"]?["infer_ms"]?.doubleValue
        result.serverInferMilliseconds = reply["server_timing"]?["infer_ms"]?.doubleValue
        result.serverPreviousTotalMilliseconds = reply["server_timing"]?["prev_total_ms"]?.doubleValue
        return result
    }

    /// A (steps × dims) or (dims) float array as a reply.
    static func fromArray(_ array: OpenPIArray, roundTripMilliseconds: Double, url: String) throws(PolicyClientError) -> PolicyReply {
        guard [.float16, .float32, .float64].contains(array.dtype) else {
            throw PolicyClientError(.malformedReply, url: url, "actions have dtype \(array.dtype.numpyString); expected float32 or float64")
        }
        let steps: Int, dimensions: Int
        switch array.shape.count {
        case 1: (steps, dimensions) = (1, array.shape[0])
        case 2: (steps, dimensions) = (array.shape[0], array.shape[1])
        default:
            throw PolicyClientError(.wrongDimensions, url: url, "actions have shape \(array.shape); expected (horizon, dims)")
        }
        let values: [Double]
        do { values = try array.doubleValues() } catch {
            throw PolicyClientError(.malformedReply, url: url, "actions: \(error)")
        }
        return PolicyReply(
            steps: steps, dimensions: dimensions, actions: values, actionDType: array.dtype.numpyString,
            roundTripMilliseconds: roundTripMilliseconds)
    }
}
