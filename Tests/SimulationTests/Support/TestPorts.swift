import Foundation

/// A TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it for a plain socket
/// bound to port 0, which is then closed (synchronously, unlike a ZeroMQ socket, so the
/// simulator can bind it right away). For endpoints the simulated device binds itself at a
/// configured port; where the test owns the bind it uses `tcp://127.0.0.1:*` instead.
func freeTCPPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket() failed")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    precondition(bound, "bind/getsockname on 127.0.0.1:0 failed")
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The port of a resolved `tcp://host:port` endpoint.
func port(of endpoint: String) -> Int {
    Int(endpoint.split(separator: ":").last!)!
}
