import COSMesa
import Foundation

/// Mesa's offscreen OpenGL, loaded with `dlopen` the first time a renderer is made.
///
/// Why not link it: libOSMesa pulls in libLLVM, and loading and relocating those two costs
/// every `pld` process about 14 ms of start-up (measured: a C program that only links
/// `-lOSMesa` starts in 14.8 ms, without it in 0.6 ms) and tens of MB of mappings — paid by
/// `pld estop`, whose start-up is part of the e-stop latency, for a library only `pld sim`'s
/// cameras use. `RTLD_GLOBAL` keeps Mesa's GL entry points visible to MuJoCo's own GL loader,
/// as linking did.
///
/// Thread safety: `shared` is initialised once (Swift's lazy static); the function pointers
/// are immutable afterwards.
struct OSMesaLibrary: @unchecked Sendable {
    // @unchecked: C function pointers, set once in init and never mutated.
    typealias CreateContextExt = @convention(c) (GLenum, GLint, GLint, GLint, OSMesaContext?) -> OSMesaContext?
    typealias MakeCurrent = @convention(c) (OSMesaContext?, UnsafeMutableRawPointer?, GLenum, GLsizei, GLsizei) -> GLboolean
    typealias DestroyContext = @convention(c) (OSMesaContext?) -> Void
    typealias GetCurrentContext = @convention(c) () -> OSMesaContext?

    let createContextExt: CreateContextExt
    let makeCurrent: MakeCurrent
    let destroyContext: DestroyContext
    let getCurrentContext: GetCurrentContext

    /// Debian's libosmesa6 soname first, then the unversioned development link.
    static let candidates = ["libOSMesa.so.8", "libOSMesa.so"]

    /// The loaded library, or why it could not be loaded (one line, naming the package).
    static let shared: Result<OSMesaLibrary, MuJoCoError> = Result { () throws(MuJoCoError) -> OSMesaLibrary in
        try OSMesaLibrary(candidates: candidates)
    }

    /// Loads the first of `candidates` that `dlopen` finds (tests pass names that do not exist).
    init(candidates: [String]) throws(MuJoCoError) {
        var handle: UnsafeMutableRawPointer?
        var reasons: [String] = []
        for name in candidates {
            handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if handle != nil { break }
            reasons.append(dlerror().map { String(cString: $0) } ?? "\(name): not found")
        }
        guard let handle else {
            throw MuJoCoError(.render, message: "cannot load OSMesa (install libosmesa6): " + reasons.joined(separator: "; "),
                              operation: "load offscreen OpenGL")
        }
        func symbol<T>(_ name: String, as _: T.Type) throws(MuJoCoError) -> T {
            guard let pointer = dlsym(handle, name) else {
                throw MuJoCoError(.render, message: "OSMesa has no \(name)", operation: "load offscreen OpenGL")
            }
            return unsafeBitCast(pointer, to: T.self)
        }
        createContextExt = try symbol("OSMesaCreateContextExt", as: CreateContextExt.self)
        makeCurrent = try symbol("OSMesaMakeCurrent", as: MakeCurrent.self)
        destroyContext = try symbol("OSMesaDestroyContext", as: DestroyContext.self)
        getCurrentContext = try symbol("OSMesaGetCurrentContext", as: GetCurrentContext.self)
    }
}
