import CZeroMQ

/// Getting and setting ``SocketOption`` values (`zmq_setsockopt`, `zmq_getsockopt`).
/// Errors name the option and the value, e.g.
/// `zmq set ZMQ_LINGER = -5 on PUB socket: Invalid argument (errno 22)`.
extension Socket {
    /// Sets an integer option (`zmq_setsockopt`).
    public func set(_ option: SocketOption<Int32>, _ value: Int32) throws(ZMQError) {
        var value = value
        try setRaw(option.rawValue, &value, MemoryLayout<Int32>.size, describing: "\(value)")
    }

    /// Reads an integer option (`zmq_getsockopt`).
    public func get(_ option: SocketOption<Int32>) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try getRaw(option.rawValue, &value, &size)
        return value
    }

    /// Sets a 64-bit integer option (`zmq_setsockopt`).
    public func set(_ option: SocketOption<Int64>, _ value: Int64) throws(ZMQError) {
        var value = value
        try setRaw(option.rawValue, &value, MemoryLayout<Int64>.size, describing: "\(value)")
    }

    /// Reads a 64-bit integer option (`zmq_getsockopt`).
    public func get(_ option: SocketOption<Int64>) throws(ZMQError) -> Int64 {
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        try getRaw(option.rawValue, &value, &size)
        return value
    }

    /// Sets a boolean option, passed to libzmq as an `int` 0 or 1 (`zmq_setsockopt`).
    public func set(_ option: SocketOption<Bool>, _ value: Bool) throws(ZMQError) {
        var raw: Int32 = value ? 1 : 0
        try setRaw(option.rawValue, &raw, MemoryLayout<Int32>.size, describing: "\(value)")
    }

    /// Reads a boolean option (`zmq_getsockopt`).
    public func get(_ option: SocketOption<Bool>) throws(ZMQError) -> Bool {
        var raw: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try getRaw(option.rawValue, &raw, &size)
        return raw != 0
    }

    /// Reads a string option such as ``SocketOption/lastEndpoint`` (`zmq_getsockopt`).
    public func get(_ option: SocketOption<String>) throws(ZMQError) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var size = buffer.count
        if let error = buffer.withUnsafeMutableBytes({ getRawResult(option.rawValue, $0.baseAddress!, &size) }) {
            throw error
        }
        let length = buffer.prefix(size).firstIndex(of: 0) ?? size
        return String(decoding: buffer.prefix(length), as: UTF8.self)
    }

    /// Sets a binary option such as ``SocketOption/subscribe`` (`zmq_setsockopt`).
    public func set(_ option: SocketOption<[UInt8]>, _ value: [UInt8]) throws(ZMQError) {
        if let error = value.withUnsafeBytes({
            setRawResult(option.rawValue, $0.baseAddress, $0.count, describing: "\(value.count) bytes")
        }) {
            throw error
        }
    }

    /// Reads a binary option such as ``SocketOption/routingID`` (`zmq_getsockopt`).
    public func get(_ option: SocketOption<[UInt8]>) throws(ZMQError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = buffer.count
        if let error = buffer.withUnsafeMutableBytes({ getRawResult(option.rawValue, $0.baseAddress!, &size) }) {
            throw error
        }
        return Array(buffer.prefix(size))
    }

    /// Sets a CURVE key option, passed as 32 binary bytes (`zmq_setsockopt`).
    public func set(_ option: SocketOption<CurveKey>, _ value: CurveKey) throws(ZMQError) {
        if let error = value.bytes.withUnsafeBytes({
            setRawResult(option.rawValue, $0.baseAddress, $0.count, describing: "CURVE key")
        }) {
            throw error
        }
    }

    /// Reads a CURVE key option (`zmq_getsockopt`, 32-byte form).
    public func get(_ option: SocketOption<CurveKey>) throws(ZMQError) -> CurveKey {
        var buffer = [UInt8](repeating: 0, count: CurveKey.byteCount)
        var size = buffer.count
        if let error = buffer.withUnsafeMutableBytes({ getRawResult(option.rawValue, $0.baseAddress!, &size) }) {
            throw error
        }
        return try CurveKey(bytes: buffer)
    }

    // MARK: Subscriptions

    /// Adds a prefix filter to a SUB socket (`ZMQ_SUBSCRIBE`): it then receives the messages whose
    /// first frame starts with `prefix`. The empty prefix (default) matches every message.
    public func subscribe(prefix: [UInt8] = []) throws(ZMQError) {
        try set(.subscribe, prefix)
    }

    /// Adds a UTF-8 prefix filter to a SUB socket (`ZMQ_SUBSCRIBE`).
    public func subscribe(prefix: String) throws(ZMQError) {
        try set(.subscribe, Array(prefix.utf8))
    }

    /// Removes one matching earlier subscription (`ZMQ_UNSUBSCRIBE`).
    public func unsubscribe(prefix: [UInt8] = []) throws(ZMQError) {
        try set(.unsubscribe, prefix)
    }

    /// Removes one matching earlier UTF-8 subscription (`ZMQ_UNSUBSCRIBE`).
    public func unsubscribe(prefix: String) throws(ZMQError) {
        try set(.unsubscribe, Array(prefix.utf8))
    }

    // MARK: Raw access

    private func setRaw(
        _ name: Int32, _ value: UnsafeRawPointer?, _ size: Int, describing: @autoclosure () -> String
    ) throws(ZMQError) {
        if let error = setRawResult(name, value, size, describing: describing()) { throw error }
    }

    private func getRaw(_ name: Int32, _ value: UnsafeMutableRawPointer, _ size: inout Int) throws(ZMQError) {
        if let error = getRawResult(name, value, &size) { throw error }
    }

    /// `zmq_setsockopt`; the error, or nil on success. Usable inside untyped `rethrows` closures.
    private func setRawResult(
        _ name: Int32, _ value: UnsafeRawPointer?, _ size: Int, describing: @autoclosure () -> String
    ) -> ZMQError? {
        guard let handle else {
            return ZMQError(
                errno: ZMQError.ENOTSOCK, message: "socket is closed", operation: "set \(socketOptionName(name))")
        }
        guard retryingOnInterrupt({ zmq_setsockopt(handle, name, value, size) }) == 0 else {
            return ZMQError.last("set \(socketOptionName(name)) = \(describing()) on \(type) socket")
        }
        return nil
    }

    /// `zmq_getsockopt`; the error, or nil on success. Usable inside untyped `rethrows` closures.
    private func getRawResult(_ name: Int32, _ value: UnsafeMutableRawPointer, _ size: inout Int) -> ZMQError? {
        guard let handle else {
            return ZMQError(
                errno: ZMQError.ENOTSOCK, message: "socket is closed", operation: "get \(socketOptionName(name))")
        }
        guard retryingOnInterrupt({ zmq_getsockopt(handle, name, value, &size) }) == 0 else {
            return ZMQError.last("get \(socketOptionName(name)) on \(type) socket")
        }
        return nil
    }
}
