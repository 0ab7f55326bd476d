#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Counts Swift heap allocations made by the calling thread, without the malloc interposer.
///
/// The Swift runtime routes `swift_allocObject` (class instances, array and string buffers,
/// closure contexts, boxes) through the function pointer `_swift_allocObject` when it differs
/// from the default, for instrumentation. `measure` swaps in a counting function that forwards
/// to the original and counts calls from the measuring thread only, then restores it.
///
/// Caveat, and why `AllocationTests` runs this in a process of its own: diverting the pointer
/// makes the runtime raise `_swift_enableSwizzlingOfAllocationAndRefCountingFunctions_forInstrumentsOnly`,
/// and with that flag up the Swift 6.3 Linux runtime crashes retaining small strings on any
/// thread. The counting function lowers the flag again on every call, but another thread could
/// still retain a string in the instant between; so nothing else may run while counting.
/// Raw `malloc` calls made outside the Swift runtime are not seen (Safety makes none).
enum AllocationCounter {
    typealias AllocateObject = @convention(c) (UnsafeRawPointer?, Int, Int) -> UnsafeMutableRawPointer?

    private struct Runtime: @unchecked Sendable {  // addresses of runtime globals, written only by `measure`
        let slot: UnsafeMutablePointer<AllocateObject>
        let swizzlingFlag: UnsafeMutablePointer<UInt8>
        let original: AllocateObject
    }

    private static let runtime: Runtime? = {
        guard let handle = dlopen(nil, RTLD_NOW),
              let slot = dlsym(handle, "_swift_allocObject"),
              let flag = dlsym(handle, "_swift_enableSwizzlingOfAllocationAndRefCountingFunctions_forInstrumentsOnly")
        else { return nil }
        let typedSlot = slot.assumingMemoryBound(to: AllocateObject.self)
        return Runtime(slot: typedSlot, swizzlingFlag: flag.assumingMemoryBound(to: UInt8.self), original: typedSlot.pointee)
    }()

    // Read by the counting function on any thread; plain words behind atomics.
    private static let originalAddress = Atomic<UInt>(0)
    private static let flagAddress = Atomic<UInt>(0)
    private static let thread = Atomic<UInt>(0)
    private static let count = Atomic<Int>(0)

    private static let counting: AllocateObject = { metadata, size, alignmentMask in
        UnsafeMutablePointer<UInt8>(bitPattern: AllocationCounter.flagAddress.load(ordering: .relaxed))?.pointee = 0
        if AllocationCounter.thread.load(ordering: .relaxed) == UInt(pthread_self()) {
            AllocationCounter.count.add(1, ordering: .relaxed)
        }
        let forward = unsafeBitCast(AllocationCounter.originalAddress.load(ordering: .relaxed), to: AllocateObject.self)
        return forward(metadata, size, alignmentMask)
    }

    /// Whether this runtime exports the hook.
    static var isAvailable: Bool { runtime != nil }

    /// Swift heap allocations made by this thread while `body` ran.
    static func measure(_ body: () -> Void) -> Int {
        guard let runtime else { preconditionFailure("the Swift runtime exports no _swift_allocObject hook") }
        originalAddress.store(unsafeBitCast(runtime.original, to: UInt.self), ordering: .sequentiallyConsistent)
        flagAddress.store(UInt(bitPattern: runtime.swizzlingFlag), ordering: .sequentiallyConsistent)
        count.store(0, ordering: .sequentiallyConsistent)
        thread.store(UInt(pthread_self()), ordering: .sequentiallyConsistent)
        runtime.slot.pointee = counting
        body()
        runtime.slot.pointee = runtime.original
        runtime.swizzlingFlag.pointee = 0
        thread.store(0, ordering: .sequentiallyConsistent)
        return count.load(ordering: .sequentiallyConsistent)
    }
}
