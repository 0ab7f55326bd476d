import CZeroMQ

extension Socket {
    /// Sends one frame (`zmq_send`) from memory the caller owns; libzmq copies it.
    ///
    /// Does not allocate in Swift; this is the control-loop variant.
    /// - Returns: `true` if the frame was queued, `false` if it would block (`EAGAIN`: with
    ///   ``SendFlags/dontWait``, at the high-water mark, or after SNDTIMEO).
    /// - Throws: ``ZMQError`` for anything else, e.g. `EFSM` (REQ sending twice), `ETERM`.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, flags: SendFlags = []) throws(ZMQError) -> Bool {
        try sendFrame(bytes, flags: flags).get()
    }

    /// Sends one frame from an array (`zmq_send`). Same results as the
    /// `UnsafeRawBufferPointer` variant.
    @discardableResult
    public func send(_ bytes: [UInt8], flags: SendFlags = []) throws(ZMQError) -> Bool {
        try bytes.withUnsafeBytes { sendFrame($0, flags: flags) }.get()
    }

    /// Sends one frame from any byte collection (`zmq_send`): `ArraySlice`, `Data`,
    /// `String.UTF8View`, ... Contiguous collections are sent without copying in Swift; others
    /// are first copied into an array.
    @discardableResult
    public func send<Bytes: Collection>(_ bytes: Bytes, flags: SendFlags = []) throws(ZMQError) -> Bool
    where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({
            sendFrame(UnsafeRawBufferPointer($0), flags: flags)
        }) {
            return try result.get()
        }
        return try send(Array(bytes), flags: flags)
    }

    /// Sends a multipart message: every frame but the last with ``SendFlags/sendMore``.
    ///
    /// libzmq delivers multipart messages atomically: once the first frame is queued the rest
    /// is too. With ``SendFlags/dontWait`` the result therefore says whether the whole message
    /// was queued (`true`) or none of it (`false`).
    /// - Throws: `EINVAL` for an empty frame list, or any send error.
    @discardableResult
    public func send<Frames: Collection>(multipart frames: Frames, flags: SendFlags = []) throws(ZMQError) -> Bool
    where Frames.Element: Collection, Frames.Element.Element == UInt8 {
        guard !frames.isEmpty else {
            throw ZMQError(
                errno: ZMQError.EINVAL, message: "a message needs at least one frame",
                operation: "send multipart on \(type) socket")
        }
        var index = 0
        let last = frames.count - 1
        for frame in frames {
            let frameFlags = index < last ? flags.union(.sendMore) : flags.subtracting(.sendMore)
            let sent = try send(frame, flags: frameFlags)
            if !sent {
                guard index == 0 else {
                    throw ZMQError(
                        errno: ZMQError.EAGAIN,
                        message: "frame \(index + 1) of \(frames.count) would block after the first was queued",
                        operation: "send multipart on \(type) socket")
                }
                return false
            }
            index += 1
        }
        return true
    }

    /// The one place that calls `zmq_send`. Returns a `Result` so it can run inside the
    /// standard library's untyped `rethrows` closures without boxing the error.
    @inline(__always)
    func sendFrame(_ bytes: UnsafeRawBufferPointer, flags: SendFlags) -> Result<Bool, ZMQError> {
        guard let handle else {
            return .failure(
                ZMQError(errno: ZMQError.ENOTSOCK, message: "socket is closed", operation: "send"))
        }
        let rc = retryingOnInterrupt { zmq_send(handle, bytes.baseAddress, bytes.count, flags.rawValue) }
        if rc >= 0 { return .success(true) }
        let code = zmq_errno()
        if code == EAGAIN { return .success(false) }
        return .failure(ZMQError(errno: code, operation: "send on \(type) socket"))
    }
}
