import CZeroMQ

extension Socket {
    /// Sends one frame that libzmq references instead of copying (`zmq_msg_init_data` without a
    /// free function, then `zmq_msg_send`). libzmq keeps messages of up to 33 bytes inline and
    /// `zmq_send` allocates a copy of anything larger; this variant allocates nothing per call,
    /// for the control thread's command path. (A free function would make libzmq allocate a
    /// reference count per message, which is why there is none.)
    ///
    /// Contract: libzmq reads `bytes` later, on its I/O thread — possibly after this socket was
    /// closed, while LINGER flushes it. So:
    /// - the memory must stay allocated until the socket's context has terminated: hand its
    ///   owner to ``Context/keepAliveUntilTerminated(_:)``;
    /// - the bytes must not *change* until the message has left: rotate through more buffers
    ///   than the socket can hold queued (its SNDHWM plus the I/O thread's batch), as
    ///   `CommandPublisher` does. Violating this sends corrupted bytes; it never crashes.
    /// - Returns: `true` if queued, `false` if it would block (`EAGAIN`).
    @discardableResult
    public func sendWithoutCopy(_ bytes: UnsafeRawBufferPointer, flags: SendFlags = []) throws(ZMQError) -> Bool {
        let handle = try openHandle("send")
        var message = zmq_msg_t()
        guard zmq_msg_init_data(&message, UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count, nil, nil) == 0 else {
            throw ZMQError(errno: zmq_errno(), operation: "prepare message on \(type) socket")
        }
        let rc = retryingOnInterrupt { zmq_msg_send(&message, handle, flags.rawValue) }
        if rc >= 0 { return true }
        let code = zmq_errno()
        zmq_msg_close(&message)
        if code == EAGAIN { return false }
        throw ZMQError(errno: code, operation: "send on \(type) socket")
    }
}
