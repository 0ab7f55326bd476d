/// How much feature data the control thread carries per tick: the sensor thread's snapshot and
/// every tick record keep feature values packed in fixed inline storage (no allocation on the
/// control thread), so a config may declare at most this much. Config loading refuses more.
public enum FeatureLimits {
    /// Feature streams (`features:` entries).
    public static let streams = 8
    /// Values across all streams together (e.g. two 256-D image embeddings).
    public static let values = 512

    /// Where each stream's values start in the packed storage: prefix sums of `dims`.
    public static func offsets(dims: [Int]) -> [Int] {
        var offsets: [Int] = []
        var next = 0
        for d in dims {
            offsets.append(next)
            next += d
        }
        return offsets
    }
}
