/// A CURVE certificate in the ZPL text format czmq and pyzmq use (`NAME.key` holds the public
/// key, `NAME.key_secret` both keys), so keys made by `pld keys generate` load in
/// `zmq.auth.load_certificate` and the other way round.
///
/// This type only formats and parses text; reading and writing files (with owner-only
/// permissions for the secret file) is the caller's job.
public struct CurveCertificate: Sendable, Equatable {
    public var publicKey: CurveKey
    /// Nil for a public certificate.
    public var secretKey: CurveKey?

    public init(publicKey: CurveKey, secretKey: CurveKey? = nil) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The public certificate (`NAME.key`): safe to hand to peers.
    public var publicText: String {
        """
        #   ZeroMQ CURVE Public Certificate (written by pld)
        #   Exchange securely, or verify the contents after exchange.

        metadata
        curve
            public-key = "\(publicKey.z85)"

        """
    }

    /// The secret certificate (`NAME.key_secret`): keep it owner-only. Nil without a secret key.
    public var secretText: String? {
        guard let secretKey else { return nil }
        return """
            #   ZeroMQ CURVE **Secret** Certificate (written by pld)
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            metadata
            curve
                public-key = "\(publicKey.z85)"
                secret-key = "\(secretKey.z85)"

            """
    }

    /// Parses certificate text: `public-key` is required, `secret-key` optional; `#` lines are
    /// comments. When both keys are present the public key must belong to the secret key.
    /// - Throws: a `ZMQError` (EINVAL) whose operation names `source` and what is wrong.
    public init(parsing text: String, source: String) throws(ZMQError) {
        var publicZ85: String?
        var secretZ85: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingWhitespace()
            if line.hasPrefix("#") { continue }
            for (name, slot) in [("public-key", 0), ("secret-key", 1)] where line.hasPrefix(name) {
                guard let equals = line.firstIndex(of: "=") else { continue }
                let value = String(line[line.index(after: equals)...].trimmingWhitespace()
                    .trimmingCharacters(in: "\"'"))
                if slot == 0 { publicZ85 = value } else { secretZ85 = value }
            }
        }
        guard let publicZ85 else {
            throw ZMQError(errno: ZMQError.EINVAL, message: "no public-key line", operation: "read CURVE certificate \(source)")
        }
        do {
            publicKey = try CurveKey(z85: publicZ85)
            if let secretZ85 { secretKey = try CurveKey(z85: secretZ85) } else { secretKey = nil }
        } catch {
            throw ZMQError(errno: error.errno, message: "\(error.operation): \(error.message)", operation: "read CURVE certificate \(source)")
        }
        if let secretKey, try CurveKeyPair(secretKey: secretKey).publicKey != publicKey {
            throw ZMQError(
                errno: ZMQError.EINVAL, message: "public-key does not belong to secret-key",
                operation: "read CURVE certificate \(source)")
        }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" || first == "\r" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s.removeLast() }
        return s
    }

    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let first = s.first, set.contains(first) { s.removeFirst() }
        while let last = s.last, set.contains(last) { s.removeLast() }
        return s
    }
}
