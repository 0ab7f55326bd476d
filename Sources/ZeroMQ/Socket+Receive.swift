import CZeroMQ

extension Socket {
    /// Receives one frame into caller-owned memory (`zmq_recv`). Does not allocate; this is the
    /// control-loop variant.
    ///
    /// - Returns: the frame's full size in bytes, which is larger than `buffer.count` when the
    ///   frame was truncated (only the first `buffer.count` bytes were written); `nil` if no frame
    ///   arrived (`EAGAIN`: with ``ReceiveFlags/dontWait``, or after RCVTIMEO). Check
    ///   ``hasMoreFrames`` for the rest of a multipart message.
    /// - Throws: ``ZMQError`` for anything else, e.g. `EFSM`, `ETERM`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, flags: ReceiveFlags = []) throws(ZMQError) -> Int? {
        let handle = try openHandle("receive")
        let rc = retryingOnInterrupt { zmq_recv(handle, buffer.baseAddress, buffer.count, flags.rawValue) }
        if rc >= 0 { return Int(rc) }
        let code = zmq_errno()
        if code == EAGAIN { return nil }
        throw ZMQError(errno: code, operation: "receive on \(type) socket")
    }

    /// Waits up to `timeoutMilliseconds` for a frame and receives it into caller-owned memory
    /// (`zmq_poll`, then `zmq_recv` without blocking). `-1` waits forever, `0` only looks.
    /// Does not allocate.
    /// - Returns: the frame's full size (larger than `buffer.count` means truncated), or `nil`
    ///   if none arrived in time.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: Int) throws(ZMQError) -> Int? {
        guard try poll(.readable, timeoutMilliseconds: timeoutMilliseconds).contains(.readable) else {
            return nil
        }
        return try receive(into: buffer, flags: .dontWait)
    }

    /// Receives one frame into a new array (`zmq_msg_recv`), whatever its size.
    ///
    /// - Returns: the frame, or `nil` if none arrived (``ReceiveFlags/dontWait`` or RCVTIMEO).
    public func receive(flags: ReceiveFlags = []) throws(ZMQError) -> [UInt8]? {
        try receiveFrame(flags: flags)?.bytes
    }

    /// Receives one whole multipart message (`zmq_msg_recv` until `zmq_msg_more` is 0).
    ///
    /// - Returns: the frames, or `nil` if no message arrived. The flags only govern the first
    ///   frame: the others are already queued (libzmq delivers messages atomically).
    public func receiveMultipart(flags: ReceiveFlags = []) throws(ZMQError) -> [[UInt8]]? {
        guard var frame = try receiveFrame(flags: flags) else { return nil }
        var frames = [frame.bytes]
        while frame.more {
            guard let next = try receiveFrame(flags: []) else {
                throw ZMQError(
                    errno: ZMQError.EAGAIN, message: "frame \(frames.count + 1) of a message did not arrive",
                    operation: "receive multipart on \(type) socket")
            }
            frames.append(next.bytes)
            frame = next
        }
        return frames
    }

    /// Waits up to `timeoutMilliseconds` for a frame (`zmq_poll`, then a non-blocking receive).
    /// `-1` waits forever, `0` only looks.
    /// - Returns: the frame, or `nil` if none arrived in time.
    public func receive(timeoutMilliseconds: Int) throws(ZMQError) -> [UInt8]? {
        guard try poll(.readable, timeoutMilliseconds: timeoutMilliseconds).contains(.readable) else {
            return nil
        }
        return try receive(flags: .dontWait)
    }

    /// Waits up to `timeoutMilliseconds` for a multipart message (`zmq_poll`, then a
    /// non-blocking receive). `-1` waits forever, `0` only looks.
    public func receiveMultipart(timeoutMilliseconds: Int) throws(ZMQError) -> [[UInt8]]? {
        guard try poll(.readable, timeoutMilliseconds: timeoutMilliseconds).contains(.readable) else {
            return nil
        }
        return try receiveMultipart(flags: .dontWait)
    }

    /// Whether the frame just received is followed by more frames of the same message
    /// (`ZMQ_RCVMORE`).
    public var hasMoreFrames: Bool {
        get throws(ZMQError) { try get(.receiveMore) }
    }

    /// One frame through a `zmq_msg_t`, copied out into an array.
    func receiveFrame(flags: ReceiveFlags) throws(ZMQError) -> (bytes: [UInt8], more: Bool)? {
        let handle = try openHandle("receive")
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        let rc = retryingOnInterrupt { zmq_msg_recv(&message, handle, flags.rawValue) }
        if rc < 0 {
            let code = zmq_errno()
            if code == EAGAIN { return nil }
            throw ZMQError(errno: code, operation: "receive on \(type) socket")
        }
        let size = zmq_msg_size(&message)
        let bytes = [UInt8](UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: size))
        return (bytes, zmq_msg_more(&message) != 0)
    }
}
