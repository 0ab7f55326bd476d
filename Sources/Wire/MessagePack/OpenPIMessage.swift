/// Whole openpi websocket frames: the observation the client sends, the action reply and the
/// metadata dict the server sends first (`reference/openpi-and-vla-servers.md` §1.1–1.3).
///
/// Each frame is one msgpack map with str keys whose leaves may be numpy arrays and scalars
/// (`OpenPIValue`). Encoding keeps the caller's key order; decoding applies `MessagePackLimits`
/// first, then openpi's array recognition.
///
/// Threading: stateless; call from the policy client's thread (it allocates).
public enum OpenPIMessage {
    /// The bytes of one frame, e.g.
    /// `["observation/image": .array(img), "observation/state": .array(state), "prompt": "pick"]`
    /// or ALOHA's `["state": …, "images": ["cam_high": …], "prompt": …]`.
    /// Throws `MessagePackError` (`.notEncodable`) only for absurd sizes or nesting.
    public static func encode(_ message: OpenPIDict) throws(MessagePackError) -> [UInt8] {
        try MessagePackEncoder.encode(message.messagePackValue)
    }

    /// Appends one frame to `encoder` (reuse one encoder to keep its buffer between frames).
    public static func encode(_ message: OpenPIDict, into encoder: inout MessagePackEncoder) throws(MessagePackError) {
        try encoder.encode(message.messagePackValue)
    }

    /// Decodes one frame. Throws `MessagePackError` for malformed msgpack or exceeded limits,
    /// `OpenPIError` for a top level that is not a map, a malformed array or scalar, non-str
    /// keys in plain maps and duplicate keys.
    public static func decode(_ bytes: [UInt8], limits: MessagePackLimits = .default) throws -> OpenPIDict {
        try dict(from: try MessagePackDecoder.decode(bytes, limits: limits))
    }

    /// Decodes one frame from a buffer, e.g. `try frame.withUnsafeBytes { try OpenPIMessage.decode($0) }`
    /// for a Foundation `Data`, without copying it into an array first. The result does not
    /// refer to `buffer`.
    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: MessagePackLimits = .default) throws
        -> OpenPIDict
    {
        try dict(from: try MessagePackDecoder(limits: limits).decode(buffer))
    }

    /// Like `decode(_:limits:)`, as a Swift dictionary (key order lost).
    public static func decodeDictionary(_ bytes: [UInt8], limits: MessagePackLimits = .default) throws
        -> [String: OpenPIValue]
    {
        try decode(bytes, limits: limits).dictionary
    }

    /// Interprets an already decoded value as a frame.
    public static func dict(from value: MessagePackValue) throws(OpenPIError) -> OpenPIDict {
        guard case .map = value, !OpenPIArray.isEncodedArray(value), !OpenPIScalar.isEncodedScalar(value) else {
            throw .notADict(Self.kindName(value))
        }
        guard case .dict(let dict) = try OpenPIValue(messagePack: value) else { throw .notADict("not a dict") }
        return dict
    }

    private static func kindName(_ value: MessagePackValue) -> String {
        switch value {
        case .nil: "nil"
        case .bool: "a bool"
        case .int, .uint: "an integer"
        case .float32, .float64: "a float"
        case .string: "a str"
        case .binary: "bin"
        case .array: "an array"
        case .map: OpenPIArray.isEncodedArray(value) ? "an ndarray" : "a numpy scalar"
        }
    }
}
