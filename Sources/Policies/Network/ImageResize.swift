/// Observation images the way openpi's robot-side code prepares them:
/// `openpi_client.image_tools.resize_with_pad` (aspect-preserving resize, then zero padding,
/// centred) with PIL's bilinear filter, and the HWC → CHW transpose ALOHA wants.
///
/// The resize reproduces Pillow's `ImagingResample` for 8-bit images: a triangle filter whose
/// support widens with the downscale factor (so downscaling averages, as PIL does), separable
/// horizontal-then-vertical passes with 22-bit fixed-point weights and a rounded 8-bit
/// intermediate. Results match PIL to the byte in the tests.
///
/// Threading: pure functions; they allocate, so call them from the policy worker.
public enum ImageResize {
    /// `resize_with_pad(image, height, width)` for one interleaved 8-bit image (`channels`
    /// bytes per pixel, row-major HWC). Returns `targetHeight × targetWidth × channels` bytes.
    /// An image that already has the target size is returned unchanged.
    public static func resizeWithPad(
        _ pixels: [UInt8], width: Int, height: Int, channels: Int = 3, targetWidth: Int, targetHeight: Int
    ) -> [UInt8] {
        precondition(width > 0 && height > 0 && channels > 0 && targetWidth > 0 && targetHeight > 0, "image sizes must be positive")
        precondition(pixels.count == width * height * channels, "\(pixels.count) bytes for a \(width)×\(height)×\(channels) image")
        if width == targetWidth && height == targetHeight { return pixels }
        // Python: ratio = max(cur_width / width, cur_height / height); int() truncates.
        let ratio = max(Double(width) / Double(targetWidth), Double(height) / Double(targetHeight))
        let resizedWidth = max(1, min(targetWidth, Int(Double(width) / ratio)))
        let resizedHeight = max(1, min(targetHeight, Int(Double(height) / ratio)))
        let resized = resize(pixels, width: width, height: height, channels: channels, toWidth: resizedWidth, toHeight: resizedHeight)
        let padTop = max(0, (targetHeight - resizedHeight) / 2)
        let padLeft = max(0, (targetWidth - resizedWidth) / 2)
        var out = [UInt8](repeating: 0, count: targetWidth * targetHeight * channels)
        let rowBytes = resizedWidth * channels
        out.withUnsafeMutableBufferPointer { dst in
            resized.withUnsafeBufferPointer { src in
                for y in 0..<resizedHeight {
                    let d = ((y + padTop) * targetWidth + padLeft) * channels
                    (dst.baseAddress! + d).update(from: src.baseAddress! + y * rowBytes, count: rowBytes)
                }
            }
        }
        return out
    }

    /// PIL `Image.resize((toWidth, toHeight), Image.BILINEAR)` for an interleaved 8-bit image.
    public static func resize(_ pixels: [UInt8], width: Int, height: Int, channels: Int = 3, toWidth: Int, toHeight: Int) -> [UInt8] {
        precondition(pixels.count == width * height * channels, "\(pixels.count) bytes for a \(width)×\(height)×\(channels) image")
        let needHorizontal = toWidth != width
        let needVertical = toHeight != height
        if !needHorizontal && !needVertical { return pixels }
        let horizontal = Coefficients(inSize: width, outSize: toWidth)
        var vertical = Coefficients(inSize: height, outSize: toHeight)

        // Horizontal pass over the rows the vertical pass will read.
        var source = pixels
        var sourceHeight = height
        if needHorizontal {
            let first = vertical.bounds[0]
            let last = vertical.bounds[2 * (toHeight - 1)] + vertical.bounds[2 * (toHeight - 1) + 1]
            let rows = needVertical ? (first, last) : (0, height)
            if needVertical {
                for i in 0..<toHeight { vertical.bounds[2 * i] -= first }
            }
            source = horizontalPass(pixels, width: width, channels: channels, rows: rows, toWidth: toWidth, horizontal)
            sourceHeight = rows.1 - rows.0
        }
        guard needVertical else { return source }
        return verticalPass(source, width: toWidth, height: sourceHeight, channels: channels, toHeight: toHeight, vertical)
    }

    /// HWC → CHW for an interleaved image.
    public static func chw(fromHWC pixels: [UInt8], width: Int, height: Int, channels: Int = 3) -> [UInt8] {
        precondition(pixels.count == width * height * channels, "\(pixels.count) bytes for a \(width)×\(height)×\(channels) image")
        var out = [UInt8](repeating: 0, count: pixels.count)
        let plane = width * height
        for p in 0..<plane {
            for c in 0..<channels { out[c * plane + p] = pixels[p * channels + c] }
        }
        return out
    }

    // MARK: Pillow's resampling (libImaging/Resample.c), 8 bits per channel

    private static let precisionBits = 32 - 8 - 2

    /// Per output pixel: first input index, tap count, and `kernelSize` fixed-point weights.
    private struct Coefficients {
        var kernelSize: Int
        var bounds: [Int]  // [min0, count0, min1, count1, …]
        var weights: [Int32]

        init(inSize: Int, outSize: Int) {
            let scale = Double(inSize) / Double(outSize)
            let filterScale = max(scale, 1.0)
            let support = 1.0 * filterScale  // bilinear support 1.0
            kernelSize = Int(support.rounded(.up)) * 2 + 1
            bounds = [Int](repeating: 0, count: outSize * 2)
            weights = [Int32](repeating: 0, count: outSize * kernelSize)
            var k = [Double](repeating: 0, count: kernelSize)
            let ss = 1.0 / filterScale
            for xx in 0..<outSize {
                let center = (Double(xx) + 0.5) * scale
                var xmin = Int(center - support + 0.5)  // C (int): truncation toward zero
                if xmin < 0 { xmin = 0 }
                var xmax = Int(center + support + 0.5)
                if xmax > inSize { xmax = inSize }
                xmax -= xmin
                var total = 0.0
                for x in 0..<xmax {
                    var t = (Double(x + xmin) - center + 0.5) * ss
                    if t < 0 { t = -t }
                    let w = t < 1.0 ? 1.0 - t : 0.0
                    k[x] = w
                    total += w
                }
                for x in 0..<kernelSize {
                    var w = x < xmax ? k[x] : 0
                    if x < xmax && total != 0 { w /= total }
                    let scaled = w * Double(1 << ImageResize.precisionBits)
                    weights[xx * kernelSize + x] = Int32(w < 0 ? -0.5 + scaled : 0.5 + scaled)
                }
                bounds[2 * xx] = xmin
                bounds[2 * xx + 1] = xmax
            }
        }
    }

    @inline(__always)
    private static func clip8(_ value: Int) -> UInt8 {
        if value >= (1 << precisionBits) << 8 { return 255 }
        if value <= 0 { return 0 }
        return UInt8(truncatingIfNeeded: value >> precisionBits)
    }

    private static func horizontalPass(
        _ pixels: [UInt8], width: Int, channels: Int, rows: (Int, Int), toWidth: Int, _ c: Coefficients
    ) -> [UInt8] {
        let outRows = rows.1 - rows.0
        var out = [UInt8](repeating: 0, count: outRows * toWidth * channels)
        let half = 1 << (precisionBits - 1)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for yy in 0..<outRows {
                    let rowBase = (yy + rows.0) * width * channels
                    for xx in 0..<toWidth {
                        let xmin = c.bounds[2 * xx], count = c.bounds[2 * xx + 1]
                        let kBase = xx * c.kernelSize
                        for ch in 0..<channels {
                            var sum = half
                            for x in 0..<count {
                                sum += Int(src[rowBase + (x + xmin) * channels + ch]) * Int(c.weights[kBase + x])
                            }
                            dst[(yy * toWidth + xx) * channels + ch] = clip8(sum)
                        }
                    }
                }
            }
        }
        return out
    }

    private static func verticalPass(
        _ pixels: [UInt8], width: Int, height: Int, channels: Int, toHeight: Int, _ c: Coefficients
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: toHeight * width * channels)
        let half = 1 << (precisionBits - 1)
        let stride = width * channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for yy in 0..<toHeight {
                    let ymin = c.bounds[2 * yy], count = c.bounds[2 * yy + 1]
                    let kBase = yy * c.kernelSize
                    for i in 0..<stride {
                        var sum = half
                        for y in 0..<count {
                            sum += Int(src[(y + ymin) * stride + i]) * Int(c.weights[kBase + y])
                        }
                        dst[yy * stride + i] = clip8(sum)
                    }
                }
            }
        }
        return out
    }
}
