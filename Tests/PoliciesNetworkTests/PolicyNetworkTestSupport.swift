import Foundation
import PLDCore
import Policies
import TestSupport
import Testing
import Wire

/// A python peer server (`Tests/Peers/openpi_server_scripted.py` or `openvla_server.py`)
/// running for one test; stopped (stdin closed, then killed) when the test ends.
final class PeerServer {
    let process: ChildProcess
    /// `ws://127.0.0.1:port` or `http://127.0.0.1:port/act`.
    let url: ServiceURL

    init(_ script: String, _ arguments: [String]) throws {
        process = try PythonPeer.launch(script, arguments)
        let ready = try process.waitForReady(timeoutMilliseconds: 20_000)
        url = try ServiceURL(configString: ready)
    }

    /// The script's `REQUEST …` line for the next request it handled.
    func requestLine(timeoutMilliseconds: Int = 5_000) throws -> String {
        try process.waitForLine(prefix: "REQUEST ", timeoutMilliseconds: timeoutMilliseconds, killOnTimeout: false)
    }

    /// The script's `CONNECT …` line for the next connection it accepted.
    func connectLine(timeoutMilliseconds: Int = 5_000) throws -> String {
        try process.waitForLine(prefix: "CONNECT ", timeoutMilliseconds: timeoutMilliseconds, killOnTimeout: false)
    }

    deinit { process.stop(graceMilliseconds: 500) }

    /// The scripted openpi server: `plan` is one step per request (`ok`, `error`, `drop`,
    /// `sleepN`, `notmsgpack`, `wrongdims`, `nan`, `huge`, `text`).
    static func openpi(
        plan: [String] = [], metadata: String = "{}", horizon: Int = 10, dims: Int = 7, dtype: String = "f4"
    ) throws -> PeerServer {
        try PeerServer(
            "openpi_server_scripted.py",
            ["--plan", plan.joined(separator: ","), "--metadata", metadata, "--horizon", "\(horizon)", "--dims", "\(dims)",
             "--dtype", dtype])
    }

    static func openVLA(plan: [String]) throws -> PeerServer {
        try PeerServer("openvla_server.py", ["--plan", plan.joined(separator: ",")])
    }
}

/// A LIBERO-style observation whose state starts at `base` (the scripted servers derive their
/// actions from it: `actions[i][j] = base + 0.5 i + 0.01 j`).
func liberoObservation(base: Float, imageSize: Int = 224) throws -> OpenPIDict {
    let image = [UInt8](repeating: 17, count: imageSize * imageSize * 3)
    return [
        "observation/image": .array(try OpenPIArray(image, shape: [imageSize, imageSize, 3])),
        "observation/wrist_image": .array(try OpenPIArray(image, shape: [imageSize, imageSize, 3])),
        "observation/state": .array(try OpenPIArray((0..<8).map { base + Float($0) }, shape: [8])),
        "prompt": "pick up the cube",
    ]
}

/// The value the scripted servers put at `[step][dimension]`.
func scriptedAction(base: Double, step: Int, dimension: Int) -> Double {
    base + 0.5 * Double(step) + 0.01 * Double(dimension)
}

/// Throws the error `body` throws, or fails the test if it returns.
func expectPolicyError<T>(
    _ kind: PolicyErrorKind, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> PolicyClientError? {
    do {
        _ = try body()
        Issue.record("expected a \(kind) error, got a result", sourceLocation: sourceLocation)
        return nil
    } catch let error as PolicyClientError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a PolicyClientError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A `PolicyConfig` from YAML (the `policy:` section of a robot config).
func policyConfig(_ yaml: String) throws -> PolicyConfig {
    try ConfigLoader.decode(PolicyConfig.self, bytes: Array(yaml.utf8), file: "test-policy.yaml").value
}

/// Seconds since `start`.
func secondsSince(_ start: UInt64) -> Double {
    Double(PolicyClock.monotonicNanos() - start) / 1e9
}

/// Polls `condition` every 5 ms until it holds or `timeoutSeconds` pass.
func eventually(timeoutSeconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = PolicyClock.monotonicNanos() + UInt64(timeoutSeconds * 1e9)
    while PolicyClock.monotonicNanos() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

/// A camera source with fixed test images, counting frames.
final class FixedCameras: CameraImageSource, @unchecked Sendable {
    private let lock = NSLock()
    private var images: [String: (rgb: [UInt8], width: Int, height: Int)]
    private var sequence: UInt64 = 0

    init(_ images: [String: (rgb: [UInt8], width: Int, height: Int)]) { self.images = images }

    func latestImage(camera: String) -> (rgb: [UInt8], width: Int, height: Int, sequence: UInt64, captureUnixNanos: Int64)? {
        lock.lock()
        defer { lock.unlock() }
        guard let image = images[camera] else { return nil }
        sequence += 1
        return (image.rgb, image.width, image.height, sequence, 1_700_000_000_000_000_000 + Int64(sequence))
    }

    /// A test image: byte (y, x, c) = (x · 7 + y · 13 + c · 101) mod 256.
    static func pattern(width: Int, height: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { out[(y * width + x) * 3 + c] = UInt8((x * 7 + y * 13 + c * 101) % 256) }
            }
        }
        return out
    }
}
