import CTurboJPEG

/// Decompresses JPEG to RGB8 (`tjDecompressHeader3`, `tjDecompress2`).
///
/// Threading: one decoder per thread; not Sendable. Bounded: images larger than
/// `maxPixels` are refused from the header, before any decoding, so a hostile frame cannot
/// make the process allocate gigabytes.
public final class JPEGDecoder {
    public let maxPixels: Int
    private let handle: tjhandle

    public init(maxPixels: Int = 4096 * 4096) throws(JPEGError) {
        guard let handle = tjInitDecompress() else {
            throw JPEGError(operation: "init", message: String(cString: tjGetErrorStr2(nil)))
        }
        self.handle = handle
        self.maxPixels = maxPixels
    }

    deinit { tjDestroy(handle) }

    /// Width and height from the JPEG header.
    public func dimensions(of jpeg: [UInt8]) throws(JPEGError) -> (width: Int, height: Int) {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let rc = jpeg.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard rc == 0 else { throw JPEGError(operation: "read header", message: String(cString: tjGetErrorStr2(handle))) }
        return (Int(width), Int(height))
    }

    /// Decodes to row-major H×W×3 RGB, top row first.
    public func decode(_ jpeg: [UInt8]) throws(JPEGError) -> (rgb: [UInt8], width: Int, height: Int) {
        let (width, height) = try dimensions(of: jpeg)
        guard width > 0, height > 0, width * height <= maxPixels else {
            throw JPEGError(operation: "decode", message: "\(width)×\(height) exceeds the \(maxPixels)-pixel limit")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let rc = jpeg.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { target in
                tjDecompress2(
                    handle, source.baseAddress, UInt(source.count), target.baseAddress, Int32(width), 0, Int32(height),
                    Int32(TJPF_RGB.rawValue), 0)
            }
        }
        guard rc == 0 else { throw JPEGError(operation: "decode", message: String(cString: tjGetErrorStr2(handle))) }
        return (rgb, width, height)
    }
}
