import Foundation
import TestSupport
import Testing
import TurboJPEG

@Suite struct JPEGTests {
    /// A smooth gradient with a bright square: compresses well and has structure to check.
    static func testImage(width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                let inSquare = x > width / 4 && x < width / 2 && y > height / 4 && y < height / 2
                rgb[i] = inSquare ? 250 : UInt8(x * 255 / width)
                rgb[i + 1] = inSquare ? 250 : UInt8(y * 255 / height)
                rgb[i + 2] = inSquare ? 250 : 64
            }
        }
        return rgb
    }

    @Test func roundTripKeepsSizeAndIsClose() throws {
        let image = Self.testImage(width: 320, height: 240)
        let jpeg = try JPEGEncoder(quality: 90).encode(rgb: image, width: 320, height: 240)
        #expect(jpeg.count < image.count / 5)
        #expect(jpeg.prefix(2) == [0xFF, 0xD8])
        let decoded = try JPEGDecoder().decode(jpeg)
        #expect(decoded.width == 320 && decoded.height == 240)
        let meanError = zip(decoded.rgb, image).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(image.count)
        #expect(meanError < 4)
        // Top row first: the square's top-left corner lands where it was drawn.
        let i = (70 * 320 + 100) * 3
        #expect(decoded.rgb[i] > 200 && decoded.rgb[i + 1] > 200)
    }

    @Test func pillowReadsOurJPEG() throws {
        let jpeg = try JPEGEncoder().encode(rgb: Self.testImage(width: 224, height: 224), width: 224, height: 224)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pld-\(UUID().uuidString.prefix(8)).jpg")
        try Data(jpeg).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try PythonPeer.run(PythonPeer.interpreter, [
            "-c", "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); print(im.size, im.mode)", file.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "(224, 224) RGB")
    }

    @Test func garbageAndLiesAreErrorsNotCrashes() throws {
        let decoder = try JPEGDecoder(maxPixels: 640 * 480)
        #expect(throws: JPEGError.self) { try decoder.decode([]) }
        #expect(throws: JPEGError.self) { try decoder.decode([0xFF, 0xD8, 0xFF]) }
        let big = try JPEGEncoder().encode(rgb: Self.testImage(width: 1024, height: 512), width: 1024, height: 512)
        do {
            _ = try decoder.decode(big)
            Issue.record("a frame over the pixel limit decoded")
        } catch {
            #expect(error.description.contains("exceeds the 307200-pixel limit"))
        }
        var random = SeededRandom(seed: 5)
        let valid = try JPEGEncoder().encode(rgb: Self.testImage(width: 64, height: 48), width: 64, height: 48)
        for _ in 0..<2000 {
            _ = try? decoder.decode(random.fuzzInput(from: valid))
        }
        #expect(throws: JPEGError.self) { try JPEGEncoder().encode(rgb: [1, 2, 3], width: 2, height: 2) }
        #expect(throws: JPEGError.self) { try JPEGEncoder(quality: 0) }
    }
}
