/// A TurboJPEG failure: the operation and libjpeg-turbo's own message, in one line.
public struct JPEGError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var message: String
    public var description: String { "jpeg \(operation): \(message)" }
}
