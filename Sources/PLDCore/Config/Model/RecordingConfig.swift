/// Episode recording (DESIGN.md §7): one HDF5 file per episode plus `index.jsonl` per run.
public struct RecordingConfig: Codable, Sendable, Equatable {
    public var enabled = true
    /// Run directories are created here; `pld run --out` overrides. Relative to the working
    /// directory. Default `runs`.
    public var outputDir = "runs"
    /// Cameras to record; absent = all configured cameras.
    public var cameras: [String]?
    public var video = VideoConfig()
    /// Deflate level (1…9) of camera frames stored raw in the episode HDF5 (`video.codec:
    /// raw`); 0 stores them uncompressed. Default 1: most of the gain at the least CPU.
    public var rawCompressionLevel = 1
    /// Ticks the queue between the control thread and the recorder holds. When it is full the
    /// tick drops the step (counted; the episode is marked `recorder_lagged`), and a new
    /// episode starts only once the queue is at most half full. Default 1024 (51 s at 20 Hz).
    public var queueCapacitySteps = 1024

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.value(.enabled, default: enabled)
        outputDir = try c.value(.outputDir, default: outputDir)
        cameras = try c.optional(.cameras)
        video = try c.value(.video, default: video)
        rawCompressionLevel = try c.value(.rawCompressionLevel, default: rawCompressionLevel)
        queueCapacitySteps = try c.value(.queueCapacitySteps, default: queueCapacitySteps)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.check(!outputDir.isEmpty, path["output_dir"], "must not be empty")
        if let cameras, Set(cameras).count != cameras.count {
            v.fail(path["cameras"], "lists a camera more than once")
        }
        video.validate(at: path["video"], into: &v)
        v.range(rawCompressionLevel, .closed(0, 9), path["raw_compression_level"])
        v.range(queueCapacitySteps, .closed(16, 1_000_000), path["queue_capacity_steps"])
    }
}

public enum VideoCodec: String, ConfigEnum {
    /// H.264 via ffmpeg, per-episode MP4 (what LeRobot v2.1 tooling reads everywhere).
    case libx264
    /// AV1 via SVT-AV1 (LeRobot's default codec; smaller, slower to encode).
    case libsvtav1
    /// Frames stored uncompressed in the episode HDF5.
    case raw
}

public enum PixelFormat: String, ConfigEnum {
    case yuv420p
    case yuv444p
    case rgb24
}

public struct VideoConfig: Codable, Sendable, Equatable {
    public var codec = VideoCodec.libx264
    /// Constant rate factor: lower is better quality. libx264 0…51, libsvtav1 0…63.
    /// Default 23 (x264's own default).
    public var crf = 23
    public var pixelFormat = PixelFormat.yuv420p
    /// Keyframe interval, frames. Default 2 (LeRobot's: any frame decodes after at most one
    /// other, which random-access training loaders need).
    public var gop = 2
    /// Encoder speed preset: libx264 ultrafast … veryslow (default veryfast), libsvtav1 0 … 13
    /// (default 12, LeRobot's). Absent = the codec's default here.
    public var preset: String?
    /// Threads per encoder process. Default 1: encoders share the machine with the control
    /// loop (they also run at nice 10).
    public var encoderThreads = 1

    /// `preset`, or the default for the codec.
    public var effectivePreset: String { preset ?? (codec == .libsvtav1 ? "12" : "veryfast") }

    static let x264Presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        codec = try c.value(.codec, default: codec)
        crf = try c.value(.crf, default: crf)
        pixelFormat = try c.value(.pixelFormat, default: pixelFormat)
        gop = try c.value(.gop, default: gop)
        preset = try c.optional(.preset)
        encoderThreads = try c.value(.encoderThreads, default: encoderThreads)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        switch codec {
        case .libx264:
            v.range(crf, .closed(0, 51), path["crf"])
            v.check(pixelFormat != .rgb24, path["pixel_format"], "libx264 takes yuv420p or yuv444p")
        case .libsvtav1:
            v.range(crf, .closed(0, 63), path["crf"])
            v.check(pixelFormat == .yuv420p, path["pixel_format"], "libsvtav1 encodes yuv420p only")
        case .raw:
            v.check(pixelFormat == .rgb24, path["pixel_format"], "raw frames are stored as rgb24")
        }
        v.range(gop, .closed(1, 1000), path["gop"])
        v.range(encoderThreads, .closed(1, 64), path["encoder_threads"])
        if let preset {
            switch codec {
            case .libx264:
                v.check(Self.x264Presets.contains(preset), path["preset"], "libx264 presets are \(Self.x264Presets.joined(separator: ", ")), found \(preset)")
            case .libsvtav1:
                v.check(Int(preset).map { (0...13).contains($0) } ?? false, path["preset"], "libsvtav1 presets are 0 … 13, found \(preset)")
            case .raw:
                v.fail(path["preset"], "raw frames take no preset")
            }
        }
    }
}
