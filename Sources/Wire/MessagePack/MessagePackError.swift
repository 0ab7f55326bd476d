/// Why MessagePack bytes could not be decoded, or a value could not be encoded.
///
/// Every decoding failure carries the byte offset where the offending item starts (or where
/// input ran out), so a logged error points into a captured frame.
public struct MessagePackError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable, CustomStringConvertible {
        /// The whole input is longer than `MessagePackLimits.maxInputBytes`.
        case inputTooLarge
        /// The input ends inside a value, or a length/count claims more bytes than remain.
        case truncated
        /// A complete value was decoded but bytes follow it.
        case trailingBytes
        /// The byte 0xc1, which the specification reserves ("never used").
        case reservedByte
        /// An extension type (fixext, ext 8/16/32); this codec does not accept any.
        case extensionType
        /// A str whose payload is not valid UTF-8.
        case invalidUTF8
        /// A map key that is neither str nor bin (msgpack-python's `strict_map_key`).
        case invalidMapKey
        /// Arrays and maps nested deeper than `MessagePackLimits.maxDepth`.
        case depthLimitExceeded
        /// An array or map count above `MessagePackLimits.maxCollectionCount`.
        case collectionTooLarge
        /// A str length above `MessagePackLimits.maxStringBytes`.
        case stringTooLarge
        /// A bin length above `MessagePackLimits.maxBinaryBytes`.
        case binaryTooLarge
        /// Encoding only: a str, bin, array or map longer than 2³² − 1, or nesting deeper
        /// than the encoder's `maxDepth`.
        case notEncodable

        public var description: String {
            switch self {
            case .inputTooLarge: "input too large"
            case .truncated: "truncated input"
            case .trailingBytes: "trailing bytes"
            case .reservedByte: "reserved byte 0xc1"
            case .extensionType: "extension type refused"
            case .invalidUTF8: "invalid UTF-8 in str"
            case .invalidMapKey: "map key is not str or bin"
            case .depthLimitExceeded: "nesting too deep"
            case .collectionTooLarge: "collection too large"
            case .stringTooLarge: "str too large"
            case .binaryTooLarge: "bin too large"
            case .notEncodable: "value not encodable"
            }
        }
    }

    public let kind: Kind
    /// Byte offset into the input where the problem was found (0 for encoding errors).
    public let offset: Int
    /// One line with the numbers involved, e.g. "str32 claims 4294967295 bytes, 5 remain".
    public let detail: String

    public init(_ kind: Kind, at offset: Int, _ detail: String) {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    public var description: String { "msgpack: \(kind) at byte \(offset): \(detail)" }
}
