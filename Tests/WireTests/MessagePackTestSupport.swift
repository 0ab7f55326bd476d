import TestSupport
import Wire

/// The error decoding `bytes` throws, or nil if it decodes.
func msgpackDecodeError(_ bytes: [UInt8], limits: MessagePackLimits = .default) -> MessagePackError? {
    do {
        _ = try MessagePackDecoder.decode(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// 64-bit FNV-1a, the content checksum shared with the python peer.
func openPIFNV1a64(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h &*= 0x0000_0100_0000_01b3
    }
    return h
}
