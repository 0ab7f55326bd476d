/// Bounds the decoder enforces before it allocates anything, so no input from a socket can
/// make it allocate more than a small multiple of the input's own size, or recurse.
///
/// The defaults fit openpi traffic with room to spare: an ALOHA observation (four
/// 3×224×224 uint8 images) is about 600 KB, a reply a few KB.
public struct MessagePackLimits: Sendable, Equatable {
    /// Longest input accepted at all.
    public var maxInputBytes: Int
    /// Deepest nesting of arrays and maps; a top-level array or map is depth 1. The decoder
    /// itself never recurses, but code that walks or releases the resulting tree does, so keep
    /// this in the tens or hundreds, not the hundred thousands.
    public var maxDepth: Int
    /// Most elements in one array, or pairs in one map.
    public var maxCollectionCount: Int
    /// Longest str payload in bytes.
    public var maxStringBytes: Int
    /// Longest bin payload in bytes.
    public var maxBinaryBytes: Int

    public init(
        maxInputBytes: Int = 64 << 20,
        maxDepth: Int = 32,
        maxCollectionCount: Int = 1 << 20,
        maxStringBytes: Int = 1 << 20,
        maxBinaryBytes: Int = 64 << 20
    ) {
        self.maxInputBytes = maxInputBytes
        self.maxDepth = maxDepth
        self.maxCollectionCount = maxCollectionCount
        self.maxStringBytes = maxStringBytes
        self.maxBinaryBytes = maxBinaryBytes
    }

    public static let `default` = MessagePackLimits()
}
