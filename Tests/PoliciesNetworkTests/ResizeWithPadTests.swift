import Foundation
import Policies
import TestSupport
import Testing

/// `ImageResize.resizeWithPad` against openpi-client's `image_tools.resize_with_pad` (PIL
/// bilinear) on the same test pattern.
@Suite("resize_with_pad matches openpi-client")
struct ResizeWithPadTests {
    struct Case: Sendable, CustomStringConvertible {
        var width: Int, height: Int, target: Int
        var description: String { "\(width)x\(height)→\(target)" }
    }

    static let cases = [
        Case(width: 640, height: 480, target: 224),  // landscape camera
        Case(width: 480, height: 640, target: 224),  // portrait
        Case(width: 1280, height: 720, target: 224),  // 16:9, strong downscale
        Case(width: 100, height: 50, target: 224),  // upscale
        Case(width: 333, height: 111, target: 96),  // odd sizes, odd padding
        Case(width: 50, height: 300, target: 224),  // tall and thin
        Case(width: 224, height: 224, target: 224),  // already the size: unchanged
    ]

    /// openpi-client's resize for every case, computed in one Python process.
    static func reference(_ cases: [Case]) throws -> [[UInt8]] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pld-resize-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let program = """
            import sys, numpy as np
            from openpi_client import image_tools
            out = sys.argv[1]
            for k, spec in enumerate(sys.argv[2:]):
                w, h, t = map(int, spec.split(","))
                x = np.arange(w)[None, :, None]; y = np.arange(h)[:, None, None]; c = np.arange(3)[None, None, :]
                img = ((x * 7 + y * 13 + c * 101) % 256).astype(np.uint8)
                res = image_tools.resize_with_pad(img, t, t)
                assert res.shape == (t, t, 3) and res.dtype == np.uint8, res.shape
                open(f"{out}/{k}.bin", "wb").write(np.ascontiguousarray(res).tobytes())
            """
        let result = try PythonPeer.run(
            PythonPeer.interpreter, ["-c", program, dir.path] + cases.map { "\($0.width),\($0.height),\($0.target)" })
        try #require(result.status == 0, "python: \(result.stderr)")
        return try cases.indices.map { [UInt8](try Data(contentsOf: dir.appendingPathComponent("\($0).bin"))) }
    }

    @Test func matchesPILBilinearWithExactPaddingGeometry() throws {
        let references = try Self.reference(Self.cases)
        for (testCase, reference) in zip(Self.cases, references) {
            let t = testCase.target
            let ours = ImageResize.resizeWithPad(
                FixedCameras.pattern(width: testCase.width, height: testCase.height),
                width: testCase.width, height: testCase.height, targetWidth: t, targetHeight: t)
            try #require(ours.count == t * t * 3 && reference.count == ours.count, "\(testCase)")

            // Geometry as openpi computes it: aspect-preserving size, centred zero padding.
            let ratio = max(Double(testCase.width) / Double(t), Double(testCase.height) / Double(t))
            let rw = Int(Double(testCase.width) / ratio), rh = Int(Double(testCase.height) / ratio)
            let top = (t - rh) / 2, left = (t - rw) / 2
            var padMismatch = 0, diffSum = 0, maxDiff = 0, inside = 0
            for y in 0..<t {
                for x in 0..<t {
                    let isImage = (top..<(top + rh)).contains(y) && (left..<(left + rw)).contains(x)
                    for c in 0..<3 {
                        let i = (y * t + x) * 3 + c
                        if !isImage {
                            if ours[i] != 0 || reference[i] != 0 { padMismatch += 1 }
                        } else {
                            let d = abs(Int(ours[i]) - Int(reference[i]))
                            diffSum += d
                            maxDiff = max(maxDiff, d)
                            inside += 1
                        }
                    }
                }
            }
            #expect(padMismatch == 0, "\(testCase): \(padMismatch) padding bytes are not zero in both")
            let mean = Double(diffSum) / Double(max(inside, 1))
            // Exact for most shapes. For some tall images Pillow 13 runs the vertical pass
            // before the horizontal one, which moves a few values by one level.
            #expect(mean < 0.1, "\(testCase): mean absolute difference \(mean)")
            #expect(maxDiff <= 1, "\(testCase): max difference \(maxDiff)")
            // The image region is really there (a blank result would pass the padding check).
            let centre = ((top + rh / 2) * t + left + rw / 2) * 3
            #expect(ours[centre..<(centre + 3)].contains { $0 != 0 } || reference[centre..<(centre + 3)].allSatisfy { $0 == 0 })
        }
    }

    @Test func chwIsAPlanarTransposeOfHWC() {
        let hwc = FixedCameras.pattern(width: 5, height: 4)
        let chw = ImageResize.chw(fromHWC: hwc, width: 5, height: 4)
        for y in 0..<4 {
            for x in 0..<5 {
                for c in 0..<3 { #expect(chw[c * 20 + y * 5 + x] == hwc[(y * 5 + x) * 3 + c]) }
            }
        }
    }
}
