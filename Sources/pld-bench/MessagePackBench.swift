import Wire

/// msgpack encode/decode of an openpi observation as a client sends it every chunk request.
struct MessagePackResults: Codable {
    var observationBytes: Int
    var encodeMicros: Percentiles
    var decodeMicros: Percentiles
    var encodeAllocationsPerCall: Double
    var decodeAllocationsPerCall: Double
    var encodeMegabytesPerSecondAtP50: Double
}

/// Two 224×224×3 uint8 images, an 8-D float32 state and a prompt (openpi's LIBERO layout).
func openPIObservation() throws -> OpenPIDict {
    let pixels = 224 * 224 * 3
    let image = (0..<pixels).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let wrist = (0..<pixels).map { UInt8(truncatingIfNeeded: $0 &* 17) }
    var observation = OpenPIDict()
    observation["observation/image"] = .array(try OpenPIArray(image, shape: [224, 224, 3]))
    observation["observation/wrist_image"] = .array(try OpenPIArray(wrist, shape: [224, 224, 3]))
    observation["observation/state"] = .array(try OpenPIArray([Float](repeating: 0.25, count: 8), shape: [8]))
    observation["prompt"] = "pick up the red cube"
    return observation
}

func benchMessagePack(iterations: Int) throws -> MessagePackResults {
    let observation = try openPIObservation()
    let bytes = try OpenPIMessage.encode(observation)
    var sink = 0
    let encode = try timeEach(iterations: iterations, warmup: 20) { sink &+= try OpenPIMessage.encode(observation).count }
    let decode = try timeEach(iterations: iterations, warmup: 20) { sink &+= try OpenPIMessage.decode(bytes).keys.count }
    let encodeAllocations = try allocationsPerCall(iterations: 50) { sink &+= try OpenPIMessage.encode(observation).count }
    let decodeAllocations = try allocationsPerCall(iterations: 50) { sink &+= try OpenPIMessage.decode(bytes).keys.count }
    precondition(sink != 0)
    let encodeMicros = encode.scaled(by: 1e-3), decodeMicros = decode.scaled(by: 1e-3)
    return MessagePackResults(
        observationBytes: bytes.count, encodeMicros: encodeMicros, decodeMicros: decodeMicros,
        encodeAllocationsPerCall: encodeAllocations, decodeAllocationsPerCall: decodeAllocations,
        encodeMegabytesPerSecondAtP50: Double(bytes.count) / encodeMicros.p50)
}
