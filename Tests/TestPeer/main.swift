// pld-test-peer: the other process in tests that need a real peer on the far end of a socket.
//
// Contract with the tests (see Tests/ZeroMQTests/Support/ChildProcess.swift):
// - `pld-test-peer <command> ARGS...`; the commands are listed in `commands` below.
// - Once its socket is bound the peer prints `READY <resolved endpoint>` on stdout (one
//   write per line), so a test can bind `tcp://127.0.0.1:*` here and learn the port.
// - Progress lines follow (`SENT n`, `RECEIVED n in-order`, `EVENT <kind> <value> <endpoint>`).
// - The peer exits when its stdin reaches end-of-file, so it never outlives the test process;
//   tests may also kill it outright (SIGKILL) to simulate a crashed peer.
// - Usage errors exit with status 2, ZeroMQ errors with status 1, each with one line on stderr.
import Foundation
import ZeroMQ

/// Writes one protocol line to stdout, unbuffered (one write(2) per line).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("pld-test-peer: \(message)\n".utf8))
    exit(status)
}

/// Exits the process when stdin closes: the test is done with us (or died).
func exitWhenStdinCloses() {
    let thread = Thread {
        _ = FileHandle.standardInput.readDataToEndOfFile()
        exit(0)
    }
    thread.start()
}

/// Blocks until stdin closes (the watcher thread then exits the process).
func parkUntilStdinCloses() -> Never {
    while true { sleep(60) }
}

struct PeerCommand {
    let usage: String
    let run: ([String]) throws(ZMQError) -> Void
}

func count(_ text: String) -> Int {
    guard let value = Int(text), value >= 0 else { fail("not a count: \(text)", status: 2) }
    return value
}

func bound(_ socket: Socket, _ endpoint: String) throws(ZMQError) {
    try socket.bind(endpoint)
    say("READY \(try socket.lastEndpoint)")
}

/// Answers every request with the same frames until the process ends; prints monitor events.
func echo(_ socket: Socket, monitor: Monitor?) throws(ZMQError) -> Never {
    let poller = Poller(capacity: 2)
    let socketIndex = try poller.add(socket)
    let monitorIndex = try monitor.map { (m) throws(ZMQError) in try poller.add(m) }
    while true {
        _ = try poller.poll(timeoutMilliseconds: -1)
        if let monitor, let monitorIndex, poller.isReadable(at: monitorIndex) {
            while let event = try monitor.next(timeoutMilliseconds: 0) {
                say("EVENT \(event.kind) \(event.value) \(event.endpoint)")
            }
        }
        if poller.isReadable(at: socketIndex), let frames = try socket.receiveMultipart(flags: .dontWait) {
            try socket.send(multipart: frames)
        }
    }
}

let commands: [String: PeerCommand] = [
    "pub": PeerCommand(usage: "pub ENDPOINT COUNT [TOPIC...]") { (arguments) throws(ZMQError) in
        // XPUB so we can wait for the first subscription: no message is lost to a slow joiner.
        let context = try Context()
        let socket = try Socket(context: context, type: .xpub)
        try bound(socket, arguments[0])
        let total = count(arguments[1])
        let topics = arguments.count > 2 ? Array(arguments[2...]) : [""]
        guard try socket.receive(timeoutMilliseconds: 10_000) != nil else {
            fail("no subscriber within 10 s", status: 1)
        }
        for number in 1...max(total, 1) where total > 0 {
            for topic in topics { try socket.send(Array("\(topic)\(number)".utf8)) }
        }
        say("SENT \(total * topics.count)")
        parkUntilStdinCloses()
    },
    "rep": PeerCommand(usage: "rep ENDPOINT") { (arguments) throws(ZMQError) in
        let context = try Context()
        let socket = try Socket(context: context, type: .rep)
        try bound(socket, arguments[0])
        try echo(socket, monitor: nil)
    },
    "curve-server": PeerCommand(usage: "curve-server ENDPOINT SECRET_Z85") { (arguments) throws(ZMQError) in
        let context = try Context()
        let socket = try Socket(context: context, type: .rep)
        try socket.makeCurveServer(secretKey: try CurveKey(z85: arguments[1]))
        let monitor = try socket.monitor()
        try bound(socket, arguments[0])
        try echo(socket, monitor: monitor)
    },
    "pull": PeerCommand(usage: "pull ENDPOINT COUNT") { (arguments) throws(ZMQError) in
        let context = try Context()
        let socket = try Socket(context: context, type: .pull)
        try bound(socket, arguments[0])
        let total = count(arguments[1])
        var inOrder = true
        for number in 1...max(total, 1) where total > 0 {
            guard let message = try socket.receive() else { fail("receive returned nothing", status: 1) }
            if message != Array("\(number)".utf8) { inOrder = false }
        }
        say("RECEIVED \(total) \(inOrder ? "in-order" : "out-of-order")")
        parkUntilStdinCloses()
    },
    "push": PeerCommand(usage: "push ENDPOINT COUNT") { (arguments) throws(ZMQError) in
        let context = try Context()
        let socket = try Socket(context: context, type: .push)
        try bound(socket, arguments[0])
        let total = count(arguments[1])
        for number in 1...max(total, 1) where total > 0 {
            try socket.send(Array("\(number)".utf8))
        }
        say("SENT \(total)")
        parkUntilStdinCloses()
    },
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let command = commands[name] else {
    let usages = commands.keys.sorted().map { "  pld-test-peer \(commands[$0]!.usage)" }
    fail("usage:\n" + usages.joined(separator: "\n"), status: 2)
}
let required = command.usage.split(separator: " ").dropFirst().filter { !$0.hasPrefix("[") }.count
guard arguments.count - 1 >= required else { fail("usage: pld-test-peer \(command.usage)", status: 2) }

exitWhenStdinCloses()
do {
    try command.run(Array(arguments.dropFirst()))
} catch {
    fail(error.description, status: 1)
}
