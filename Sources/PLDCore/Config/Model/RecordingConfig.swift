/// Episode recording (DESIGN.md §7): one HDF5 file per episode plus `index.jsonl` per run.
public struct RecordingConfig: Codable, Sendable, Equatable {
    public var enabled = true
    /// Run directories are created here; `pld run --out` overrides. Relative to the working
    /// directory. Default `runs`.
    public var outputDir = "runs"
    /// Cameras to record; absent = all configured cameras.
    public var cameras: [String]?
    public var video = VideoConfig()

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.value(.enabled, default: enabled)
        outputDir = try c.value(.outputDir, default: outputDir)
        cameras = try c.optional(.cameras)
        video = try c.value(.video, default: video)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.check(!outputDir.isEmpty, path["output_dir"], "must not be empty")
        if let cameras, Set(cameras).count != cameras.count {
            v.fail(path["cameras"], "lists a camera more than once")
        }
        video.validate(at: path["video"], into: &v)
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

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        codec = try c.value(.codec, default: codec)
        crf = try c.value(.crf, default: crf)
        pixelFormat = try c.value(.pixelFormat, default: pixelFormat)
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
    }
}
