/// Where the recorder finds the camera frame a tick used: the decoded RGB image with a given
/// sequence number, if it is still held (the sensor thread keeps the last few per camera).
///
/// Called on the recorder thread only.
public protocol CameraFrameSource: Sendable {
    /// Frame `sequence` of `camera` as `width · height · 3` RGB bytes, or nil when it is no
    /// longer (or never was) held.
    func recordedFrame(camera: String, sequence: UInt64) -> (rgb: [UInt8], width: Int, height: Int)?
}

/// No cameras (tests, camera-less rigs).
public struct NoCameraFrames: CameraFrameSource {
    public init() {}
    public func recordedFrame(camera: String, sequence: UInt64) -> (rgb: [UInt8], width: Int, height: Int)? { nil }
}
