#include "wire_arena.h"

// Every block is 16-byte aligned, as malloc's would be on x86_64 and arm64.
static const size_t kAlignment = 16;

static void *wire_arena_alloc(void *context, size_t size) {
    WireArena *arena = (WireArena *)context;
    size_t start = (arena->used + (kAlignment - 1)) & ~(kAlignment - 1);
    if (size > arena->capacity || start > arena->capacity - size) {
        arena->exhausted = 1;
        return NULL;
    }
    arena->used = start + size;
    if (arena->used > arena->high_water) arena->high_water = arena->used;
    return arena->storage + start;
}

static void wire_arena_free(void *context, void *pointer) {
    (void)context;
    (void)pointer;
}

void wire_arena_init(WireArena *arena, void *storage, size_t capacity) {
    arena->storage = (uint8_t *)storage;
    arena->capacity = capacity;
    arena->used = 0;
    arena->high_water = 0;
    arena->exhausted = 0;
    arena->allocator.alloc = wire_arena_alloc;
    arena->allocator.free = wire_arena_free;
    arena->allocator.allocator_data = arena;
}

void wire_arena_reset(WireArena *arena) {
    arena->used = 0;
    arena->exhausted = 0;
}
