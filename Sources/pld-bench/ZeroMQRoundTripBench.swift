import Foundation
import ZeroMQ

/// Request → reply round trips of a Franka-state-sized message (2508 bytes) over ZeroMQ.
/// inproc runs between two threads (inproc cannot cross processes); ipc and tcp loopback run
/// between this process and a child `pld-bench zmq-echo` process.
struct ZeroMQResults: Codable {
    var messageBytes: Int
    /// Heap allocations per inproc round trip, both ends in this process. At 16 bytes libzmq
    /// keeps messages inline (≤ 33 bytes), so anything counted is our wrapper's; at 2508 bytes
    /// libzmq itself allocates each message body.
    var inprocAllocationsPerRoundTrip16Bytes: Double
    var inprocAllocationsPerRoundTrip2508Bytes: Double
    var inprocMicros: Percentiles
    var ipcMicros: Percentiles
    var tcpMicros: Percentiles
}

/// Echo server: binds a REP socket at `endpoint`, prints "READY <endpoint>", echoes until stdin closes.
func runEchoServer(endpoint: String) throws {
    let context = try Context()
    let socket = try Socket(context: context, type: .rep)
    try socket.bind(endpoint)
    FileHandle.standardOutput.write(Data("READY \(try socket.lastEndpoint)\n".utf8))
    // Stop when the parent goes away (stdin closes).
    Thread.detachNewThread {
        while FileHandle.standardInput.availableData.count > 0 {}
        exit(0)
    }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        guard let count else { continue }
        _ = try buffer.withUnsafeBytes { try socket.send(UnsafeRawBufferPointer(rebasing: $0[0..<min(count, $0.count)])) }
    }
}

private func roundTrips(client: Socket, messageBytes: Int, iterations: Int) throws -> Percentiles {
    let message = [UInt8](repeating: 0x5A, count: messageBytes)
    var reply = [UInt8](repeating: 0, count: 1 << 16)
    var failure: ZMQError?
    let timing = try reply.withUnsafeMutableBytes { buffer in
        try timeEach(iterations: iterations, warmup: 200) {
            _ = try client.send(message)
            guard try client.receive(into: buffer, timeoutMilliseconds: 2000) == messageBytes else {
                failure = ZMQError(errno: ZMQError.EAGAIN, message: "no echo within 2 s", operation: "round trip")
                throw failure!
            }
        }
    }
    return timing.scaled(by: 1e-3)
}

/// Allocations per send + receive(into:) round trip, counted process-wide.
private func allocationsPerRoundTrip(client: Socket, messageBytes: Int) throws -> Double {
    let message = [UInt8](repeating: 0x5A, count: messageBytes)
    var reply = [UInt8](repeating: 0, count: 1 << 16)
    return try reply.withUnsafeMutableBytes { buffer in
        try message.withUnsafeBytes { out in
            try allocationsPerCall(iterations: 2000) {
                _ = try client.send(out)
                _ = try client.receive(into: buffer)
            }
        }
    }
}

func benchZeroMQ(iterations: Int, benchExecutable: String) throws -> ZeroMQResults {
    let messageBytes = 2508
    let context = try Context()

    // inproc: echo on a second thread, which owns its socket from creation to exit.
    let bound = DispatchSemaphore(value: 0)
    let echo = Thread {
        guard let server = try? Socket(context: context, type: .rep),
            (try? server.bind("inproc://pld-bench-echo")) != nil
        else {
            bound.signal()
            return
        }
        bound.signal()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            guard let count = try? buffer.withUnsafeMutableBytes({ try server.receive(into: $0) }) else { return }
            _ = try? buffer.withUnsafeBytes { try server.send(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }
    echo.start()
    bound.wait()
    let inprocClient = try Socket(context: context, type: .req)
    try inprocClient.connect("inproc://pld-bench-echo")
    let inproc = try roundTrips(client: inprocClient, messageBytes: messageBytes, iterations: iterations)
    let allocations16 = try allocationsPerRoundTrip(client: inprocClient, messageBytes: 16)
    let allocations2508 = try allocationsPerRoundTrip(client: inprocClient, messageBytes: messageBytes)

    func acrossProcesses(_ endpoint: String) throws -> Percentiles {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: benchExecutable)
        child.arguments = ["zmq-echo", endpoint]
        let output = Pipe(), input = Pipe()
        child.standardOutput = output
        child.standardInput = input
        try child.run()
        defer {
            try? input.fileHandleForWriting.close()
            child.terminate()
            child.waitUntilExit()
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw ZMQError(errno: ZMQError.EINVAL, message: "echo child exited", operation: endpoint) }
            line.append(chunk)
        }
        let ready = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let bound = String(ready.dropFirst("READY ".count))
        let client = try Socket(context: context, type: .req)
        try client.connect(bound)
        defer { client.close() }
        return try roundTrips(client: client, messageBytes: messageBytes, iterations: iterations)
    }

    let ipcPath = "/tmp/pld-bench-\(getpid()).ipc"
    defer { unlink(ipcPath) }
    let ipc = try acrossProcesses("ipc://\(ipcPath)")
    let tcp = try acrossProcesses("tcp://127.0.0.1:*")
    return ZeroMQResults(
        messageBytes: messageBytes, inprocAllocationsPerRoundTrip16Bytes: allocations16,
        inprocAllocationsPerRoundTrip2508Bytes: allocations2508, inprocMicros: inproc, ipcMicros: ipc, tcpMicros: tcp)
}
