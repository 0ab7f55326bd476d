import CZeroMQ

extension Socket {
    /// Sends one frame that libzmq references instead of copying (`zmq_msg_init_data` with no
    /// free function, then `zmq_msg_send`). libzmq keeps messages of up to 33 bytes inline and
    /// `zmq_send` allocates a copy of anything larger; this variant allocates nothing per call in
    /// steady state, for the control thread's command path.
    ///
    /// Contract: libzmq reads `bytes` later, on its I/O thread. The caller must not change or
    /// free them until the message has left — in practice, rotate through more buffers than the
    /// socket can hold queued (its SNDHWM plus the I/O thread's batch), as `CommandPublisher`
    /// does. Violating this sends corrupted bytes; it never crashes.
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
