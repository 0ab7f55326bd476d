import CMuJoCo
import COSMesa
import Foundation

/// Renders a model's cameras into RGB images without a display: an OSMesa (software OpenGL)
/// context plus MuJoCo's abstract scene (`mjvScene`, `mjvOption`, `mjvCamera`) and GPU-side
/// context (`mjrContext`) for one model, at one image size.
///
/// Threading contract: an OpenGL context is bound to the thread that made it current, so a
/// renderer must be created, used and released on one thread, and it is not `Sendable`.
/// ``render(camera:data:into:)`` checks the thread and stops the process on a violation. Give
/// each camera thread its own renderer (and its own ``MJData`` copy of the state).
///
/// Sizes: images are at most the model's offscreen framebuffer (MJCF
/// `<visual><global offwidth offheight>`, see ``MJModel/offscreenWidth``); ``init`` throws
/// when `width × height` does not fit.
///
/// Allocation: ``init`` allocates the OSMesa buffer, the scene (`maxGeoms` geoms) and GPU
/// resources; ``render(camera:data:into:)`` writes into the caller's pre-sized buffer and does
/// not allocate on the Swift side (Mesa's own rasteriser may).
public final class OffscreenRenderer {
    /// The model whose cameras this renderer draws.
    public let model: MJModel
    /// Image width in pixels.
    public let width: Int
    /// Image height in pixels.
    public let height: Int

    private let gl: OSMesaLibrary
    private let glContext: OSMesaContext
    private let glBuffer: UnsafeMutableRawPointer
    private let scene: UnsafeMutablePointer<mjvScene>
    private let option: UnsafeMutablePointer<mjvOption>
    private let camera: UnsafeMutablePointer<mjvCamera>
    private let context: UnsafeMutablePointer<mjrContext>
    private let owner: pthread_t
    /// One row of pixels, for flipping `mjr_readPixels`' bottom-up rows in place.
    private var rowScratch: [UInt8]

    /// Serialises renderer set-up: MuJoCo loads OpenGL entry points into process-wide pointers
    /// on the first `mjr_makeContext`.
    private static let setupLock = NSLock()

    /// Creates an OSMesa RGBA context with a 24-bit depth and 8-bit stencil buffer
    /// (`OSMesaCreateContextExt`, `OSMesaMakeCurrent`), MuJoCo's scene for `model`
    /// (`mjv_makeScene` with room for `maxGeoms` geoms) and rendering context
    /// (`mjr_makeContext`), and selects the offscreen framebuffer (`mjr_setBuffer`).
    ///
    /// `shadows` turns shadow mapping on (`mjRND_SHADOW`); off, a frame costs about half as much
    /// in software rendering. Multisampling and the shadow map size come from the model
    /// (`<visual><quality offsamples shadowsize>`).
    ///
    /// Throws ``MuJoCoError/Kind/render`` when the size is not positive or exceeds the model's
    /// offscreen buffer, or when OSMesa cannot create or bind the context.
    public init(model: MJModel, width: Int, height: Int, shadows: Bool = true, maxGeoms: Int = 2000) throws(MuJoCoError) {
        let operation = "create \(width)×\(height) renderer for \(model.source)"
        guard width > 0, height > 0 else {
            throw MuJoCoError(.render, message: "image size must be positive", operation: operation)
        }
        guard width <= model.offscreenWidth, height <= model.offscreenHeight else {
            throw MuJoCoError(
                .render,
                message: "the model's offscreen buffer is \(model.offscreenWidth)×\(model.offscreenHeight); raise <visual><global offwidth=\"\(width)\" offheight=\"\(height)\"/> in the MJCF",
                operation: operation)
        }
        let gl: OSMesaLibrary
        switch OSMesaLibrary.shared {
        case let .success(library): gl = library
        case let .failure(error): throw error
        }
        guard let glContext = gl.createContextExt(GLenum(OSMESA_RGBA), 24, 8, 0, nil) else {
            throw MuJoCoError(.render, message: "OSMesaCreateContextExt failed", operation: operation)
        }
        let glBuffer = UnsafeMutableRawPointer.allocate(byteCount: width * height * 4, alignment: 16)
        guard gl.makeCurrent(glContext, glBuffer, GLenum(GL_UNSIGNED_BYTE), GLsizei(width), GLsizei(height)) != 0 else {
            gl.destroyContext(glContext)
            glBuffer.deallocate()
            throw MuJoCoError(.render, message: "OSMesaMakeCurrent failed", operation: operation)
        }
        self.gl = gl
        self.model = model
        self.width = width
        self.height = height
        self.glContext = glContext
        self.glBuffer = glBuffer
        self.owner = pthread_self()
        self.rowScratch = Array(repeating: 0, count: width * 3)
        scene = .allocate(capacity: 1)
        option = .allocate(capacity: 1)
        camera = .allocate(capacity: 1)
        context = .allocate(capacity: 1)
        OffscreenRenderer.setupLock.withLock {
            mjv_defaultScene(scene)
            mjv_makeScene(model.pointer, scene, Int32(maxGeoms))
            withUnsafeMutablePointer(to: &scene.pointee.flags) { flags in
                flags.withMemoryRebound(to: mjtByte.self, capacity: Int(mjNRNDFLAG.rawValue)) {
                    $0[Int(mjRND_SHADOW.rawValue)] = shadows ? 1 : 0
                }
            }
            mjv_defaultOption(option)
            mjv_defaultCamera(camera)
            mjr_defaultContext(context)
            mjr_makeContext(model.pointer, context, Int32(mjFONTSCALE_100.rawValue))
            mjr_setBuffer(Int32(mjFB_OFFSCREEN.rawValue), context)
        }
        guard context.pointee.currentBuffer == Int32(mjFB_OFFSCREEN.rawValue) else {
            throw MuJoCoError(.render, message: "no offscreen framebuffer available", operation: operation)
        }
    }

    deinit {
        // Must run on the creating thread (see the threading contract).
        if gl.getCurrentContext() != glContext {
            _ = gl.makeCurrent(glContext, glBuffer, GLenum(GL_UNSIGNED_BYTE), GLsizei(width), GLsizei(height))
        }
        mjr_freeContext(context)
        mjv_freeScene(scene)
        gl.destroyContext(glContext)
        glBuffer.deallocate()
        for pointer in [UnsafeMutableRawPointer(scene), UnsafeMutableRawPointer(option), UnsafeMutableRawPointer(camera), UnsafeMutableRawPointer(context)] {
            pointer.deallocate()
        }
    }

    /// Bytes of one RGB image: `height × width × 3`.
    public var imageByteCount: Int { width * height * 3 }

    /// A zeroed buffer of ``imageByteCount`` bytes to render into.
    public func makeImageBuffer() -> [UInt8] { Array(repeating: 0, count: imageByteCount) }

    /// Renders `camera` (a fixed or body-attached MJCF camera) as seen in `data`'s current
    /// state into `rgb`: `height × width × 3` bytes, rows top first, pixels left to right.
    ///
    /// Calls `mjv_updateScene` (so `data` must be from this renderer's model and up to date:
    /// after ``MJData/forward()`` or ``MJData/step()``), `mjr_render` and `mjr_readPixels`,
    /// then flips OpenGL's bottom-up rows in place. No allocation.
    public func render(camera id: MJCameraID, data: MJData, into rgb: inout [UInt8]) {
        precondition(pthread_equal(pthread_self(), owner) != 0, "OffscreenRenderer used on a thread other than the one that created it")
        precondition(data.model === model, "data belongs to \(data.model.source), renderer to \(model.source)")
        precondition(id.index >= 0 && id.index < model.ncam, "\(id) out of range for \(model.source)")
        precondition(rgb.count == imageByteCount, "image buffer has \(rgb.count) bytes, expected \(imageByteCount)")
        if gl.getCurrentContext() != glContext {
            _ = gl.makeCurrent(glContext, glBuffer, GLenum(GL_UNSIGNED_BYTE), GLsizei(width), GLsizei(height))
        }
        camera.pointee.type = Int32(mjCAMERA_FIXED.rawValue)
        camera.pointee.fixedcamid = Int32(id.index)
        mjv_updateScene(model.pointer, data.pointer, option, nil, camera, Int32(mjCAT_ALL.rawValue), scene)
        let viewport = mjrRect(left: 0, bottom: 0, width: Int32(width), height: Int32(height))
        mjr_render(viewport, scene, context)
        rgb.withUnsafeMutableBufferPointer { pixels in
            mjr_readPixels(pixels.baseAddress, nil, viewport, context)
            flipRows(pixels)
        }
    }

    /// Renders the camera called `name`; throws ``MuJoCoError/Kind/notFound`` when the model
    /// has no such camera. Looks the name up each call: prefer ``render(camera:data:into:)``
    /// with an id in loops.
    public func render(cameraNamed name: String, data: MJData, into rgb: inout [UInt8]) throws(MuJoCoError) {
        render(camera: try model.camera(named: name), data: data, into: &rgb)
    }

    /// `mjr_readPixels` returns OpenGL's order (bottom row first); images are top row first.
    private func flipRows(_ pixels: UnsafeMutableBufferPointer<UInt8>) {
        let rowBytes = width * 3
        rowScratch.withUnsafeMutableBufferPointer { scratch in
            let base = pixels.baseAddress!
            var top = 0
            var bottom = height - 1
            while top < bottom {
                let topRow = base + top * rowBytes
                let bottomRow = base + bottom * rowBytes
                scratch.baseAddress!.update(from: topRow, count: rowBytes)
                topRow.update(from: bottomRow, count: rowBytes)
                bottomRow.update(from: scratch.baseAddress!, count: rowBytes)
                top += 1
                bottom -= 1
            }
        }
    }
}

@available(*, unavailable, message: "an OffscreenRenderer's OpenGL context is bound to the thread that created it")
extension OffscreenRenderer: Sendable {}
