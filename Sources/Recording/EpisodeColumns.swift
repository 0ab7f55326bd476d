/// A dataset plus the rows waiting to be appended to it (the writer appends in blocks).
protocol EpisodeColumn: AnyObject {
    func flush() throws(HDF5Error)
}

/// Buffered rows of one dataset with elements of type `T` (its in-memory HDF5 layout).
final class Column<T: BitwiseCopyable>: EpisodeColumn {
    let dataset: HDF5Dataset
    var pending: [T] = []

    init(_ dataset: HDF5Dataset, reserveRows: Int) {
        self.dataset = dataset
        pending.reserveCapacity(reserveRows * max(dataset.rowElements, 1))
    }

    @inline(__always) func add(_ value: T) { pending.append(value) }

    func flush() throws(HDF5Error) {
        guard !pending.isEmpty else { return }
        try dataset.append(pending)
        pending.removeAll(keepingCapacity: true)
    }
}
