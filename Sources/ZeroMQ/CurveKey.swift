import CZeroMQ

/// A CURVE (Curve25519) key: 32 bytes, written as 40 Z85 characters in configs and on the
/// command line.
///
/// Construction validates: ``init(z85:)`` rejects a wrong length or a character outside the Z85
/// alphabet with an `EINVAL` ``ZMQError`` that says what is wrong, e.g.
/// `zmq decode CURVE key: Z85 key must be 40 characters, got 39 (errno 22)`.
///
/// `description` shows only the first characters, so a secret key printed by accident does not
/// end up in a log; use ``z85`` to write a key out on purpose.
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    /// Bytes in a key.
    public static let byteCount = 32
    /// Characters in the Z85 text form of a key.
    public static let z85Count = 40
    /// The 85 characters of the Z85 alphabet (ZeroMQ RFC 32), in value order.
    public static let z85Alphabet =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// A key from its 32 binary bytes.
    public init(bytes: [UInt8]) throws(ZMQError) {
        guard bytes.count == Self.byteCount else {
            throw ZMQError(
                errno: ZMQError.EINVAL,
                message: "binary key must be \(Self.byteCount) bytes, got \(bytes.count)",
                operation: "make CURVE key")
        }
        self.bytes = bytes
    }

    /// A key from its 40-character Z85 text (`zmq_z85_decode`), after checking the length and
    /// the alphabet.
    public init(z85 text: String) throws(ZMQError) {
        let characters = Array(text.utf8)
        guard characters.count == Self.z85Count else {
            throw ZMQError(
                errno: ZMQError.EINVAL,
                message: "Z85 key must be \(Self.z85Count) characters, got \(text.count)",
                operation: "decode CURVE key")
        }
        let alphabet = Set(Self.z85Alphabet.utf8)
        if let offset = characters.firstIndex(where: { !alphabet.contains($0) }) {
            let shown = String(decoding: [characters[offset]], as: UTF8.self)
            throw ZMQError(
                errno: ZMQError.EINVAL,
                message: "Z85 key has a character outside the Z85 alphabet at offset \(offset): \"\(shown)\"",
                operation: "decode CURVE key")
        }
        var decoded = [UInt8](repeating: 0, count: Self.byteCount)
        let ok = decoded.withUnsafeMutableBufferPointer { out in
            zmq_z85_decode(out.baseAddress, text) != nil
        }
        guard ok else {
            throw ZMQError(
                errno: ZMQError.EINVAL, message: "Z85 key encodes a value out of range",
                operation: "decode CURVE key")
        }
        self.bytes = decoded
    }

    /// The 40-character Z85 text of the key (`zmq_z85_encode`).
    public var z85: String {
        var text = [CChar](repeating: 0, count: Self.z85Count + 1)
        bytes.withUnsafeBufferPointer { input in
            _ = zmq_z85_encode(&text, input.baseAddress, input.count)
        }
        return String(decoding: text.prefix(Self.z85Count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `CurveKey(<first 5 Z85 characters>…)`.
    public var description: String { "CurveKey(\(z85.prefix(5))…)" }
}

/// A CURVE long-term key pair.
public struct CurveKeyPair: Sendable, Hashable {
    /// The public half: give it to peers (a client's server key is the server's public key).
    public let publicKey: CurveKey
    /// The secret half: keep it on this machine.
    public let secretKey: CurveKey

    /// A pair from both halves, unchecked.
    public init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The pair belonging to `secretKey`, deriving its public key (`zmq_curve_public`).
    public init(secretKey: CurveKey) throws(ZMQError) {
        var publicText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        var secretText = Array(secretKey.z85.utf8CString)
        guard zmq_curve_public(&publicText, &secretText) == 0 else {
            throw ZMQError.last("derive CURVE public key")
        }
        let text = String(decoding: publicText.prefix(CurveKey.z85Count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.publicKey = try CurveKey(z85: text)
        self.secretKey = secretKey
    }

    /// A new random key pair (`zmq_curve_keypair`). Fails with `ENOTSUP` if libzmq was built
    /// without CURVE.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        var secretText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else {
            throw ZMQError.last("generate CURVE key pair")
        }
        func key(_ text: [CChar]) throws(ZMQError) -> CurveKey {
            try CurveKey(z85: String(decoding: text.prefix(CurveKey.z85Count).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return CurveKeyPair(publicKey: try key(publicText), secretKey: try key(secretText))
    }
}

extension Socket {
    /// Makes this socket a CURVE server with `secretKey` (`ZMQ_CURVE_SERVER` = 1,
    /// `ZMQ_CURVE_SECRETKEY`). Clients must know the matching public key. Call before
    /// ``bind(_:)``.
    public func makeCurveServer(secretKey: CurveKey) throws(ZMQError) {
        try set(.curveServer, true)
        try set(.curveSecretKey, secretKey)
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey`, using
    /// `keyPair` as its own long-term identity (`ZMQ_CURVE_SERVERKEY`, `ZMQ_CURVE_PUBLICKEY`,
    /// `ZMQ_CURVE_SECRETKEY`). Call before ``connect(_:)``. With a wrong server key the
    /// handshake fails and no message is ever exchanged.
    public func makeCurveClient(serverKey: CurveKey, keyPair: CurveKeyPair) throws(ZMQError) {
        try set(.curveServerKey, serverKey)
        try set(.curvePublicKey, keyPair.publicKey)
        try set(.curveSecretKey, keyPair.secretKey)
    }
}
