import CHDF5

/// A dataset that grows by whole rows along its first dimension (chunked, unlimited).
///
/// Threading: the thread that writes the file. Closed with its file (strong close degree) or
/// when released.
public final class HDF5Dataset {
    public let path: String
    public let file: String
    public let type: HDF5Type
    /// Shape of one row (the dimensions after the first).
    public let rowShape: [Int]
    /// Elements in one row.
    public let rowElements: Int
    /// Rows written so far.
    public private(set) var rows = 0
    private var id: hid_t

    init(id: hid_t, path: String, file: String, type: HDF5Type, rowShape: [Int]) {
        self.id = id
        self.path = path
        self.file = file
        self.type = type
        self.rowShape = rowShape
        rowElements = rowShape.reduce(1, *)
    }

    deinit { closeHandle() }

    /// Releases the dataset's identifier (its file calls this before closing itself; closing
    /// an identifier twice would leave an error on libhdf5's stack).
    func closeHandle() {
        guard id >= 0 else { return }
        _ = H5Dclose(id)
        id = -1
    }

    /// Appends `count` rows from `bytes` (row-major, `count · rowElements · type.size` bytes,
    /// in the element type's memory layout).
    public func append(rows count: Int, from bytes: UnsafeRawBufferPointer) throws(HDF5Error) {
        guard count > 0 else { return }
        guard id >= 0 else { throw HDF5Error(file: file, operation: "write \(path)", detail: "dataset is closed") }
        HDF5Runtime.quiet
        precondition(bytes.count >= count * rowElements * type.size, "\(path): \(bytes.count) bytes for \(count) rows")
        let operation = "write \(path)"
        let rank = Int32(rowShape.count + 1)
        var extent: [hsize_t] = [hsize_t(rows + count)] + rowShape.map { hsize_t($0) }
        try HDF5Runtime.check(H5Dset_extent(id, &extent), operation, file: file)
        let fileSpace = try HDF5Runtime.id(H5Dget_space(id), operation, file: file)
        defer { _ = H5Sclose(fileSpace) }
        var start: [hsize_t] = [hsize_t(rows)] + rowShape.map { _ in 0 }
        var block: [hsize_t] = [hsize_t(count)] + rowShape.map { hsize_t($0) }
        try HDF5Runtime.check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &block, nil), operation, file: file)
        let memorySpace = try HDF5Runtime.id(H5Screate_simple(rank, &block, nil), operation, file: file)
        defer { _ = H5Sclose(memorySpace) }
        try HDF5Runtime.check(H5Dwrite(id, type.id, memorySpace, fileSpace, hid_t(H5P_DEFAULT), bytes.baseAddress), operation, file: file)
        rows += count
    }

    /// Appends rows of typed values (`values.count` must be a multiple of `rowElements`).
    public func append<T: BitwiseCopyable>(_ values: [T]) throws(HDF5Error) {
        precondition(MemoryLayout<T>.stride == type.size, "\(path): element size \(MemoryLayout<T>.stride) ≠ \(type.size)")
        guard !values.isEmpty else { return }
        let count = rowElements == 0 ? 0 : values.count / rowElements
        // `withUnsafeBytes` rethrows untyped errors: carry the typed one out by hand.
        var failure: HDF5Error?
        values.withUnsafeBytes { bytes in
            do throws(HDF5Error) { try append(rows: count, from: bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Overwrites row `row` (already written) with `bytes` (one row).
    public func overwrite(row: Int, packed bytes: [UInt8]) throws(HDF5Error) {
        precondition(row >= 0 && row < rows && bytes.count == rowElements * type.size, "\(path): row \(row) of \(rows)")
        let operation = "rewrite \(path)[\(row)]"
        HDF5Runtime.quiet
        let rank = Int32(rowShape.count + 1)
        let fileSpace = try HDF5Runtime.id(H5Dget_space(id), operation, file: file)
        defer { _ = H5Sclose(fileSpace) }
        var start: [hsize_t] = [hsize_t(row)] + rowShape.map { _ in 0 }
        var block: [hsize_t] = [1] + rowShape.map { hsize_t($0) }
        try HDF5Runtime.check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &block, nil), operation, file: file)
        let memorySpace = try HDF5Runtime.id(H5Screate_simple(rank, &block, nil), operation, file: file)
        defer { _ = H5Sclose(memorySpace) }
        let status = bytes.withUnsafeBytes { raw in
            H5Dwrite(id, type.id, memorySpace, fileSpace, hid_t(H5P_DEFAULT), raw.baseAddress)
        }
        try HDF5Runtime.check(status, operation, file: file)
    }

    /// Appends `count` rows packed in `bytes` (compound rows built by hand).
    public func append(rows count: Int, packed bytes: [UInt8]) throws(HDF5Error) {
        var failure: HDF5Error?
        bytes.withUnsafeBytes { raw in
            do throws(HDF5Error) { try append(rows: count, from: raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes attribute `name` on this dataset.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, in owner: HDF5File) throws(HDF5Error) {
        try owner.setAttribute(name, value, on: path)
    }
}
