// Bump-pointer arena for protobuf-c unpacking without heap allocation.
//
// Contract: the caller owns `storage` (allocated once, off the control thread) and resets the
// arena before every unpack. `free` is a no-op; everything is released by the next reset.
// When a message needs more than `capacity` bytes the allocation fails, protobuf-c's unpack
// returns NULL, and `exhausted` is set, so an oversized message is an error, never a heap call.
// Not thread-safe: one arena per decoding thread.
#ifndef WIRE_ARENA_H
#define WIRE_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

typedef struct WireArena {
    uint8_t *storage;
    size_t capacity;
    size_t used;
    size_t high_water;   // largest `used` seen since init, for sizing
    int exhausted;       // set when an allocation did not fit since the last reset
    ProtobufCAllocator allocator;  // points back at this arena
} WireArena;

/// Binds the arena to caller-owned storage. The arena must not move afterwards.
void wire_arena_init(WireArena *arena, void *storage, size_t capacity);

/// Forgets every allocation; call before each unpack.
void wire_arena_reset(WireArena *arena);

#endif
