public enum CameraEncoding: String, ConfigEnum {
    case jpeg
    case rgb8
}

/// A camera stream (`CameraFrame` messages on a PUB, `pld run` connects a conflated SUB).
public struct CameraConfig: Codable, Sendable, Equatable {
    public var name: String
    public var endpoint: Endpoint
    /// Frame size the node publishes, pixels. Frames of another size are rejected.
    public var width: Int
    public var height: Int
    /// A frame older than this (capture → receipt) is stale, s. Default 0.2.
    public var maxAgeS = 0.2
    /// Expected encoding. Default jpeg.
    public var encoding = CameraEncoding.jpeg

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.required(.name)
        endpoint = try c.required(.endpoint)
        width = try c.required(.width)
        height = try c.required(.height)
        maxAgeS = try c.value(.maxAgeS, default: maxAgeS)
        encoding = try c.value(.encoding, default: encoding)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.name(name, path["name"])
        v.check(!endpoint.isWildcard, path["endpoint"], "`*` can only be bound; give the camera node's host")
        v.range(width, .closed(1, 8192), path["width"], unit: "px")
        v.range(height, .closed(1, 8192), path["height"], unit: "px")
        v.range(maxAgeS, .leftOpen(0, 10), path["max_age_s"], unit: "s")
    }
}

/// A named float vector stream (`FeatureVector` messages), e.g. an object pose from a
/// perception node or the simulator.
public struct FeatureConfig: Codable, Sendable, Equatable {
    public var name: String
    public var endpoint: Endpoint
    /// Values per message; messages of another length are rejected.
    public var dims: Int
    /// A vector older than this is stale, s. Default 0.1.
    public var maxAgeS = 0.1
    /// Optional names of the values (recorded with the data), one per value.
    public var labels: [String]?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.required(.name)
        endpoint = try c.required(.endpoint)
        dims = try c.required(.dims)
        maxAgeS = try c.value(.maxAgeS, default: maxAgeS)
        labels = try c.optional(.labels)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.name(name, path["name"])
        v.check(!endpoint.isWildcard, path["endpoint"], "`*` can only be bound; give the publisher's host")
        v.range(dims, .closed(1, 4096), path["dims"])
        v.range(maxAgeS, .leftOpen(0, 10), path["max_age_s"], unit: "s")
        if let labels { v.count(labels, dims, path["labels"], "one per value") }
    }
}
