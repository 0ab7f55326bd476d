import CTurboJPEG

/// Compresses RGB8 images to baseline JPEG (`tjCompress2`).
///
/// Threading: one encoder per thread (a TurboJPEG handle is not thread-safe); not Sendable.
/// The output buffer is allocated once for the largest image seen and reused.
public final class JPEGEncoder {
    /// 1…100; 90 keeps policy-relevant detail at about a tenth of the raw size.
    public let quality: Int32
    /// Chroma subsampling; 4:2:0 like most camera pipelines and video codecs.
    public let subsampling = TJSAMP_420
    private let handle: tjhandle
    private var output: UnsafeMutablePointer<UInt8>?
    private var outputCapacity = 0

    public init(quality: Int = 90) throws(JPEGError) {
        guard (1...100).contains(quality) else {
            throw JPEGError(operation: "init", message: "quality \(quality) outside 1...100")
        }
        guard let handle = tjInitCompress() else {
            throw JPEGError(operation: "init", message: String(cString: tjGetErrorStr2(nil)))
        }
        self.handle = handle
        self.quality = Int32(quality)
    }

    deinit {
        tjFree(output)
        tjDestroy(handle)
    }

    /// Encodes `rgb` (row-major H×W×3, top row first) and returns the JPEG bytes.
    public func encode(rgb: [UInt8], width: Int, height: Int) throws(JPEGError) -> [UInt8] {
        guard width > 0, height > 0, rgb.count == width * height * 3 else {
            throw JPEGError(operation: "encode", message: "\(rgb.count) bytes is not \(width)×\(height)×3")
        }
        let bound = Int(tjBufSize(Int32(width), Int32(height), Int32(subsampling.rawValue)))
        if bound > outputCapacity {
            tjFree(output)
            output = tjAlloc(Int32(bound))
            outputCapacity = output == nil ? 0 : bound
        }
        guard output != nil else { throw JPEGError(operation: "encode", message: "cannot allocate \(bound) bytes") }
        var size = UInt(outputCapacity)
        var destination = output
        let rc = rgb.withUnsafeBufferPointer { pixels in
            tjCompress2(
                handle, pixels.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGB.rawValue), &destination,
                &size, Int32(subsampling.rawValue), quality, TJFLAG_NOREALLOC)
        }
        guard rc == 0, let destination else {
            throw JPEGError(operation: "encode", message: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: destination, count: Int(size)))
    }
}
