import CMuJoCo
import Foundation

/// A compiled MuJoCo model (`mjModel`): the kinematic tree, geometry, actuators, options and
/// keyframes of one MJCF file.
///
/// Threading: `MJModel` is `Sendable`. It is immutable once loaded (this wrapper exposes no
/// setter and every MuJoCo call it makes takes `const mjModel*`), so any number of threads may
/// read it and build ``MJData`` from it concurrently. Loading itself is serialised process-wide
/// because MuJoCo 2.2's XML loader keeps global state.
///
/// Lifetime: the model is freed (`mj_deleteModel`) when the last reference goes; every
/// ``MJData`` and ``OffscreenRenderer`` keeps its model alive.
public final class MJModel: @unchecked Sendable {
    // @unchecked: `pointer` is never written through after `init`, and MuJoCo only reads a model
    // during simulation and rendering, so sharing it across threads is race-free.
    let pointer: UnsafeMutablePointer<mjModel>

    /// Where the model came from: the file path, or `<xml string NAME>` for ``init(xml:name:)``.
    /// Error messages name it.
    public let source: String

    /// Loads and compiles the MJCF (or URDF) file at `path` (`mj_loadXML`). Relative `<include>`
    /// and asset paths resolve against the file's directory.
    ///
    /// Throws ``MuJoCoError/Kind/load`` with MuJoCo's message (element and line) and the path.
    public convenience init(path: String) throws(MuJoCoError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MuJoCoError(.load, message: "no such file", operation: "load \(path)")
        }
        try self.init(loading: path, vfs: nil, source: path)
    }

    /// Loads the MJCF file at a `file:` URL; see ``init(path:)``.
    public convenience init(contentsOf url: URL) throws(MuJoCoError) {
        try self.init(path: url.path)
    }

    /// Compiles a model from MJCF text held in memory, through MuJoCo's virtual file system
    /// (`mj_defaultVFS`, `mj_makeEmptyFileVFS`, `mj_loadXML`, `mj_deleteVFS`).
    ///
    /// The text must be self-contained: `<include>` and mesh files are not resolved. `name` is
    /// the in-memory file name MuJoCo reports in errors.
    public convenience init(xml: String, name: String = "model.xml") throws(MuJoCoError) {
        let source = "<xml string \(name)>"
        let vfs = UnsafeMutablePointer<mjVFS>.allocate(capacity: 1)  // ~2 MB: never on the stack
        mj_defaultVFS(vfs)
        defer {
            mj_deleteVFS(vfs)
            vfs.deallocate()
        }
        var bytes = Array(xml.utf8)
        bytes.append(0)  // the 2.2 parser reads the buffer as a C string
        guard mj_makeEmptyFileVFS(vfs, name, Int32(bytes.count)) == 0 else {
            throw MuJoCoError(.load, message: "cannot create in-memory file", operation: "load \(source)")
        }
        let index = Int(mj_findFileVFS(vfs, name))
        guard index >= 0 else {
            throw MuJoCoError(.load, message: "in-memory file vanished", operation: "load \(source)")
        }
        withUnsafeMutablePointer(to: &vfs.pointee.filedata) { tuple in
            tuple.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: Int(mjMAXVFS)) { files in
                bytes.withUnsafeBytes { files[index]!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
        }
        try self.init(loading: name, vfs: vfs, source: source)
    }

    private init(loading file: String, vfs: UnsafePointer<mjVFS>?, source: String) throws(MuJoCoError) {
        MuJoCoLibrary.installHandlers()
        let errorSize = 1024
        var error = [CChar](repeating: 0, count: errorSize)
        let model = MuJoCoLibrary.loadLock.withLock {
            mj_loadXML(file, vfs, &error, Int32(errorSize))
        }
        guard let model else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw MuJoCoError(.load, message: message.isEmpty ? "mj_loadXML failed" : message, operation: "load \(source)")
        }
        self.pointer = model
        self.source = source
    }

    deinit { mj_deleteModel(pointer) }

    // MARK: Sizes

    /// Number of generalized coordinates (`nq`, length of `qpos`).
    public var nq: Int { Int(pointer.pointee.nq) }
    /// Number of degrees of freedom (`nv`, length of `qvel`, `qfrc_*`; Jacobians are 3×nv).
    public var nv: Int { Int(pointer.pointee.nv) }
    /// Number of actuators (`nu`, length of `ctrl`).
    public var nu: Int { Int(pointer.pointee.nu) }
    /// Number of activation states (`na`, length of `act`).
    public var na: Int { Int(pointer.pointee.na) }
    /// Number of bodies including the world body (`nbody`).
    public var nbody: Int { Int(pointer.pointee.nbody) }
    /// Number of joints (`njnt`).
    public var njnt: Int { Int(pointer.pointee.njnt) }
    /// Number of geoms (`ngeom`).
    public var ngeom: Int { Int(pointer.pointee.ngeom) }
    /// Number of sites (`nsite`).
    public var nsite: Int { Int(pointer.pointee.nsite) }
    /// Number of cameras (`ncam`).
    public var ncam: Int { Int(pointer.pointee.ncam) }
    /// Number of keyframes (`nkey`).
    public var nkey: Int { Int(pointer.pointee.nkey) }

    /// Simulation time step in seconds (`opt.timestep`).
    public var timestepSeconds: Double { pointer.pointee.opt.timestep }

    /// Width of the offscreen framebuffer in pixels (MJCF `<visual><global offwidth>`, default
    /// 640): the largest image an ``OffscreenRenderer`` can produce for this model.
    public var offscreenWidth: Int { Int(pointer.pointee.vis.global.offwidth) }
    /// Height of the offscreen framebuffer in pixels (MJCF `<visual><global offheight>`).
    public var offscreenHeight: Int { Int(pointer.pointee.vis.global.offheight) }
}
