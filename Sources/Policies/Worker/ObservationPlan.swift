import PLDCore
import Wire

/// Which frame of which camera an observation used (recorded with every request).
public struct CameraFrameUse: Sendable, Equatable {
    public var camera: String
    public var sequence: UInt64
    public var captureUnixNanos: Int64

    public init(camera: String, sequence: UInt64, captureUnixNanos: Int64) {
        self.camera = camera
        self.sequence = sequence
        self.captureUnixNanos = captureUnixNanos
    }
}

/// How a `PolicyRequest` becomes the observation dict the server expects, computed once from
/// `ObservationConfig`: where each numeric input sits in the request's values (its sources'
/// widths, in config order), which camera feeds each image input, the image size and layout,
/// and the prompt key.
///
/// Numeric inputs are sent as float32 vectors (openpi and OFT cast state to float32
/// server-side). Images are resized with padding (`ImageResize.resizeWithPad`) to the square
/// `imageSize` and sent as uint8 HWC, or CHW when the config says so (ALOHA). A `.` in a key
/// nests (`images.cam_high` → `{"images": {"cam_high": …}}`).
///
/// Threading: immutable; `observation` runs on the policy worker (it allocates).
public struct ObservationPlan: Sendable {
    public enum Entry: Sendable, Equatable {
        case numeric(key: String, offset: Int, count: Int)
        case image(key: String, camera: String)
    }

    public let entries: [Entry]
    /// Values every request must carry (`PolicyRequest.valueCount`).
    public let numericValueCount: Int
    public let imageSize: Int
    public let imageFormat: ImageFormat
    public let promptKey: String

    /// `sourceWidth` gives the width of a non-image source (`RobotConfig.dimension(of:)`).
    public init(config: ObservationConfig, sourceWidth: (ObservationSource) -> Int?) throws(PolicySetupError) {
        var entries: [Entry] = []
        var offset = 0
        for (index, input) in config.inputs.enumerated() {
            if input.isImage {
                guard input.from.count == 1, case .camera(let camera) = input.from[0] else {
                    throw PolicySetupError("policy.observation.inputs[\(index)] (\(input.key)): an image input takes exactly one camera source")
                }
                entries.append(.image(key: input.key, camera: camera))
                continue
            }
            var count = 0
            for source in input.from {
                guard let width = sourceWidth(source), width > 0 else {
                    throw PolicySetupError("policy.observation.inputs[\(index)] (\(input.key)): the width of \(source) is unknown")
                }
                count += width
            }
            entries.append(.numeric(key: input.key, offset: offset, count: count))
            offset += count
        }
        guard offset <= policyRequestMaxValues else {
            throw PolicySetupError(
                "policy.observation.inputs: \(offset) numeric values; a request carries at most \(policyRequestMaxValues)")
        }
        self.entries = entries
        numericValueCount = offset
        imageSize = config.imageSize
        imageFormat = config.effectiveImageFormat
        promptKey = config.promptKey
    }

    /// Cameras the plan reads, in input order.
    public var cameras: [String] {
        entries.compactMap { if case .image(_, let camera) = $0 { camera } else { nil } }
    }

    /// The observation dict for `request`. `frames` receives the camera frames used.
    public func observation(
        for request: PolicyRequest, images: (any CameraImageSource)?, prompts: [String], url: String,
        frames: inout [CameraFrameUse]
    ) throws(PolicyClientError) -> OpenPIDict {
        guard request.valueCount == numericValueCount else {
            throw PolicyClientError(
                .invalidRequest, url: url,
                "request for tick \(request.tick) carries \(request.valueCount) values, the observation needs \(numericValueCount)")
        }
        frames.removeAll(keepingCapacity: true)
        var dict = OpenPIDict()
        for entry in entries {
            switch entry {
            case .numeric(let key, let offset, let count):
                var values = [Float](repeating: 0, count: count)
                for i in 0..<count { values[i] = Float(request.values[offset + i]) }
                set(&dict, key: key, .array(try! OpenPIArray(values, shape: [count])))
            case .image(let key, let camera):
                guard let image = images?.latestImage(camera: camera) else {
                    throw PolicyClientError(.missingCameraFrame, url: url, "camera `\(camera)` (for \(key)) has no frame yet")
                }
                guard image.width > 0, image.height > 0, image.rgb.count == image.width * image.height * 3 else {
                    throw PolicyClientError(
                        .invalidRequest, url: url,
                        "camera `\(camera)` frame has \(image.rgb.count) bytes for \(image.width)×\(image.height) RGB")
                }
                frames.append(CameraFrameUse(camera: camera, sequence: image.sequence, captureUnixNanos: image.captureUnixNanos))
                var pixels = ImageResize.resizeWithPad(
                    image.rgb, width: image.width, height: image.height, targetWidth: imageSize, targetHeight: imageSize)
                let shape: [Int]
                switch imageFormat {
                case .hwc:
                    shape = [imageSize, imageSize, 3]
                case .chw:
                    pixels = ImageResize.chw(fromHWC: pixels, width: imageSize, height: imageSize)
                    shape = [3, imageSize, imageSize]
                }
                set(&dict, key: key, .array(try! OpenPIArray(pixels, shape: shape)))
            }
        }
        if !prompts.isEmpty {
            guard prompts.indices.contains(request.promptIndex) else {
                throw PolicyClientError(
                    .invalidRequest, url: url, "prompt index \(request.promptIndex) outside the \(prompts.count) configured prompts")
            }
            dict[promptKey] = .string(prompts[request.promptIndex])
        }
        return dict
    }

    /// Sets `key`, creating nested dicts for each `.`-separated part.
    private func set(_ dict: inout OpenPIDict, key: String, _ value: OpenPIValue) {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        set(&dict, path: parts[...], value)
    }

    private func set(_ dict: inout OpenPIDict, path: ArraySlice<String>, _ value: OpenPIValue) {
        let head = path.first!
        if path.count == 1 {
            dict[head] = value
            return
        }
        var inner = dict[head]?.dictValue ?? OpenPIDict()
        set(&inner, path: path.dropFirst(), value)
        dict[head] = .dict(inner)
    }
}
