import Foundation
@testable import MuJoCo
import Testing

/// Rendering tests run one after another: each renderer owns a software OpenGL context and
/// the machine has two cores. Each test is synchronous, so it stays on one thread, as an
/// OpenGL context requires.
@Suite("Offscreen rendering", .serialized)
struct OffscreenRendererTests {
    func statistics(_ rgb: [UInt8]) -> (mean: Double, variance: Double) {
        let n = Double(rgb.count)
        let mean = rgb.reduce(0.0) { $0 + Double($1) } / n
        let variance = rgb.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance)
    }

    @Test("every scene camera renders a non-uniform image of the requested size", arguments: [MJCFModel.frankaCube, .yamGPUInsertion])
    func sceneCamerasRender(_ bundled: MJCFModel) throws {
        let model = try bundled.load()
        let data = try MJData(model: model)
        try data.resetToKeyframe(named: "home")
        let renderer = try OffscreenRenderer(model: model, width: 160, height: 120)
        var rgb = renderer.makeImageBuffer()
        #expect(rgb.count == 120 * 160 * 3)
        for name in model.cameraNames {
            rgb.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            try renderer.render(cameraNamed: name, data: data, into: &rgb)
            let stats = statistics(rgb)
            #expect(stats.variance > 50, "\(bundled) camera \(name): image has structure (variance \(stats.variance))")
            #expect(stats.mean > 5 && stats.mean < 250, "\(bundled) camera \(name): neither black nor white (mean \(stats.mean))")
        }
    }

    @Test func topRowOfTheImageIsTheTopOfTheView() throws {
        // A camera looking along +x at a red wall that fills only the lower half of the view;
        // above the horizon there is only the black background. (Keep the model small: the
        // near clipping plane scales with its extent.) OpenGL reads this image bottom row first.
        let model = try MJModel(xml: """
            <mujoco>
              <visual><global offwidth="64" offheight="64"/><headlight ambient="1 1 1" diffuse="0 0 0" specular="0 0 0"/></visual>
              <worldbody>
                <camera name="eye" pos="0 0 0" xyaxes="0 -1 0 0 0 1" fovy="90"/>
                <geom type="box" pos="2 0 -3" size="0.1 6 3" rgba="1 0 0 1"/>
              </worldbody>
            </mujoco>
            """, name: "horizon.xml")
        let data = try MJData(model: model)
        let renderer = try OffscreenRenderer(model: model, width: 64, height: 48)
        var rgb = renderer.makeImageBuffer()
        try renderer.render(cameraNamed: "eye", data: data, into: &rgb)
        func red(row: Int) -> Double {
            (0..<64).reduce(0.0) { $0 + Double(rgb[(row * 64 + $1) * 3]) } / 64
        }
        #expect(red(row: 2) < 30, "top rows show the empty sky, red \(red(row: 2))")
        #expect(red(row: 45) > 200, "bottom rows show the red wall, red \(red(row: 45))")
    }

    /// OSMesa is loaded with dlopen, not linked: a machine without it gets one line naming the
    /// package and what dlopen said, not a crash.
    @Test func aMissingOSMesaIsAOneLineErrorNamingThePackage() {
        do {
            _ = try OSMesaLibrary(candidates: ["libOSMesa-not-here.so.99"])
            Issue.record("loaded a library that does not exist")
        } catch {
            let text = "\(error)"
            #expect(error.kind == .render)
            #expect(text.contains("install libosmesa6") && text.contains("libOSMesa-not-here.so.99"), "\(text)")
            #expect(!text.contains("\n"), "\(text)")
        }
    }

    @Test func theInstalledOSMesaLoads() throws {
        _ = try OSMesaLibrary(candidates: OSMesaLibrary.candidates)
    }

    @Test func sizeBeyondTheOffscreenBufferIsRejectedNamingTheMJCFAttribute() throws {
        let model = try MJCFModel.panda.load()
        #expect {
            _ = try OffscreenRenderer(model: model, width: 2000, height: 100)
        } throws: { error in
            guard let error = error as? MuJoCoError else { return false }
            return error.kind == .render && error.description.contains("offwidth")
        }
    }

    @Test func frameTimesAt224x224And320x240() throws {
        let model = try MJCFModel.frankaCube.load()
        let data = try MJData(model: model)
        try data.resetToKeyframe(named: "home")
        let exterior = try model.camera(named: "exterior")
        var lines: [String] = []
        for (width, height, shadows) in [(224, 224, true), (320, 240, true), (224, 224, false)] {
            let renderer = try OffscreenRenderer(model: model, width: width, height: height, shadows: shadows)
            var rgb = renderer.makeImageBuffer()
            renderer.render(camera: exterior, data: data, into: &rgb)  // warm-up
            let frames = 10
            let start = ContinuousClock.now
            for _ in 0..<frames {
                data.step()
                renderer.render(camera: exterior, data: data, into: &rgb)
            }
            let elapsed = ContinuousClock.now - start
            let perFrame = Double(elapsed.components.attoseconds) / 1e15 / Double(frames) + Double(elapsed.components.seconds) * 1000 / Double(frames)
            lines.append("\(width)×\(height)\(shadows ? "" : " without shadows"): \(String(format: "%.1f", perFrame)) ms/frame")
            #expect(perFrame < 1000, "a frame renders in under a second")
        }
        print("OffscreenRenderer (OSMesa, franka_cube exterior): " + lines.joined(separator: ", "))
    }
}
