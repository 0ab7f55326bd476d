import CWireCodec

/// Preallocated memory that protobuf-c unpacks into, so a decode never calls malloc.
///
/// Threading: owned by one thread (the one that decodes); not Sendable. The storage is allocated
/// once in `init` and freed in `deinit`; `reset()` before each unpack recycles it.
final class DecodeArena {
    let capacity: Int
    private let storage: UnsafeMutableRawPointer
    let arena: UnsafeMutablePointer<WireArena>

    init(capacity: Int) {
        precondition(capacity > 0, "DecodeArena capacity must be positive")
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        arena = UnsafeMutablePointer<WireArena>.allocate(capacity: 1)
        wire_arena_init(arena, storage, capacity)
    }

    deinit {
        arena.deallocate()
        storage.deallocate()
    }

    /// The allocator protobuf-c should use; valid for the arena's lifetime.
    var allocator: UnsafeMutablePointer<ProtobufCAllocator> {
        UnsafeMutableRawPointer(arena).advanced(by: MemoryLayout<WireArena>.offset(of: \WireArena.allocator)!)
            .assumingMemoryBound(to: ProtobufCAllocator.self)
    }

    func reset() { wire_arena_reset(arena) }

    /// Unpacks `bytes` with a generated protobuf-c `__unpack` function into this arena,
    /// refusing inputs over `maxBytes` first. The result lives until the next unpack.
    func unpack<Message>(
        _ bytes: UnsafeRawBufferPointer, as message: HotMessage, maxBytes: Int,
        _ unpackFunction: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?
    ) throws(WireDecodeError) -> Message {
        guard bytes.count <= maxBytes else {
            throw .tooLarge(message: message, bytes: bytes.count, limit: maxBytes)
        }
        reset()
        guard let raw = unpackFunction(allocator, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) else {
            if exhausted { throw .arenaExhausted(message: message, arenaBytes: capacity) }
            throw .malformed(message: message)
        }
        return raw.pointee
    }
    var exhausted: Bool { arena.pointee.exhausted != 0 }
    /// Most bytes one decode has needed so far; for sizing the arena.
    var highWaterBytes: Int { Int(arena.pointee.high_water) }
}
