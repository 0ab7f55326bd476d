/// Where the policy worker gets the newest decoded frame of each camera (implemented by the
/// runtime on top of the camera feeds, by the simulator, or by a test).
///
/// Contract: called from the policy worker thread while the feeds keep updating, so an
/// implementation must be thread-safe; it must not block for long (return the newest frame
/// already decoded, or nil when the camera has produced none yet). `rgb` is
/// `height × width × 3` bytes, row-major (HWC). `sequence` is the publisher's frame number and
/// `captureUnixNanos` its capture stamp; the worker records both with every request.
public protocol CameraImageSource {
    func latestImage(camera: String) -> (rgb: [UInt8], width: Int, height: Int, sequence: UInt64, captureUnixNanos: Int64)?
}
