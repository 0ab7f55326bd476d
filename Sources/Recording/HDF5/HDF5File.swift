import CHDF5
import Glibc

/// An attribute value as episode files store them.
public enum HDF5AttributeValue: Sendable, Equatable {
    case float64(Double)
    case int64(Int64)
    case bool(Bool)
    case string(String)
    case strings([String])
    /// A 1-D int64 array.
    case int64s([Int64])
}

/// One HDF5 file (sec2 driver: plain POSIX I/O), created or opened by this process.
///
/// Every call throws `HDF5Error` naming this file and the operation; nothing is printed.
/// Threading: use from one thread at a time (the recorder thread, or a reader at startup).
/// `close()` is idempotent; a file released without `close()` is closed by `deinit` (errors
/// then go unreported, so writers call `close()`).
public final class HDF5File {
    public let path: String
    private var id: hid_t
    private var fileAccess: hid_t
    /// Datasets created through this file, closed before the file is.
    private var datasets: [WeakDataset] = []

    private struct WeakDataset { weak var dataset: HDF5Dataset? }

    private init(path: String, id: hid_t, fileAccess: hid_t) {
        self.path = path
        self.id = id
        self.fileAccess = fileAccess
    }

    deinit { try? close() }

    /// Creates a new file; fails if `path` exists (callers write under a temporary name that
    /// nothing else uses, and never overwrite an episode).
    public static func create(at path: String) throws(HDF5Error) -> HDF5File {
        HDF5Runtime.quiet
        let fapl = try HDF5Runtime.id(H5Pcreate(pld_h5p_file_access()), "file access properties", file: path)
        // Close everything the file owns when it closes, so no open object keeps it half-written.
        _ = H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
        let id = H5Fcreate(path, pld_h5f_acc_excl(), hid_t(H5P_DEFAULT), fapl)
        if id < 0 {
            let error = HDF5Runtime.failure("create", file: path)
            _ = H5Pclose(fapl)
            throw error
        }
        return HDF5File(path: path, id: id, fileAccess: fapl)
    }

    /// Opens an existing file read-only.
    public static func openReadOnly(_ path: String) throws(HDF5Error) -> HDF5File {
        HDF5Runtime.quiet
        let fapl = try HDF5Runtime.id(H5Pcreate(pld_h5p_file_access()), "file access properties", file: path)
        _ = H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
        let id = H5Fopen(path, pld_h5f_acc_rdonly(), fapl)
        if id < 0 {
            let error = HDF5Runtime.failure("open", file: path)
            _ = H5Pclose(fapl)
            throw error
        }
        return HDF5File(path: path, id: id, fileAccess: fapl)
    }

    private func requireOpen(_ operation: String) throws(HDF5Error) -> hid_t {
        HDF5Runtime.quiet
        guard id >= 0 else { throw HDF5Error(file: path, operation: operation, detail: "file is closed") }
        return id
    }

    /// Creates the group at `groupPath` ("/observations/images") and any missing parents.
    public func createGroup(_ groupPath: String) throws(HDF5Error) {
        let file = try requireOpen("create group \(groupPath)")
        let lcpl = try HDF5Runtime.id(H5Pcreate(pld_h5p_link_create()), "link properties", file: path)
        defer { _ = H5Pclose(lcpl) }
        _ = H5Pset_create_intermediate_group(lcpl, 1)
        let group = try HDF5Runtime.id(
            H5Gcreate2(file, groupPath, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), "create group \(groupPath)", file: path)
        _ = H5Gclose(group)
    }

    /// Creates an extendible dataset of rows of `rowShape` (e.g. `[7]` for (T, 7), `[]` for
    /// (T,)), chunked `chunkRows` rows at a time, deflated at `deflateLevel` (1…9) when given.
    /// Parent groups are created as needed.
    public func createAppendable(
        _ datasetPath: String, type: HDF5Type, rowShape: [Int], chunkRows: Int, deflateLevel: Int? = nil
    ) throws(HDF5Error) -> HDF5Dataset {
        let file = try requireOpen("create \(datasetPath)")
        precondition(chunkRows > 0 && rowShape.allSatisfy { $0 >= 0 }, "chunk rows and row shape must be positive")
        let rank = Int32(rowShape.count + 1)
        var dims: [hsize_t] = [0] + rowShape.map { hsize_t($0) }
        var maxDims: [hsize_t] = [pld_h5s_unlimited()] + rowShape.map { hsize_t($0) }
        var chunk: [hsize_t] = [hsize_t(chunkRows)] + rowShape.map { hsize_t(max($0, 1)) }
        let space = try HDF5Runtime.id(H5Screate_simple(rank, &dims, &maxDims), "dataspace of \(datasetPath)", file: path)
        defer { _ = H5Sclose(space) }
        let dcpl = try HDF5Runtime.id(H5Pcreate(pld_h5p_dataset_create()), "dataset properties", file: path)
        defer { _ = H5Pclose(dcpl) }
        try HDF5Runtime.check(H5Pset_chunk(dcpl, rank, &chunk), "chunking of \(datasetPath)", file: path)
        if let deflateLevel {
            try HDF5Runtime.check(H5Pset_deflate(dcpl, UInt32(deflateLevel)), "deflate of \(datasetPath)", file: path)
        }
        let lcpl = try HDF5Runtime.id(H5Pcreate(pld_h5p_link_create()), "link properties", file: path)
        defer { _ = H5Pclose(lcpl) }
        _ = H5Pset_create_intermediate_group(lcpl, 1)
        let dataset = try HDF5Runtime.id(
            H5Dcreate2(file, datasetPath, type.id, space, lcpl, dcpl, hid_t(H5P_DEFAULT)), "create \(datasetPath)", file: path)
        let created = HDF5Dataset(id: dataset, path: datasetPath, file: self.path, type: type, rowShape: rowShape)
        datasets.append(WeakDataset(dataset: created))
        return created
    }

    /// Writes (creating or replacing) attribute `name` on the object at `objectPath`.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, on objectPath: String = "/") throws(HDF5Error) {
        let file = try requireOpen("attribute \(name)")
        let operation = "write attribute \(objectPath == "/" ? "" : objectPath)@\(name)"
        if H5Aexists_by_name(file, objectPath, name, hid_t(H5P_DEFAULT)) > 0 {
            try HDF5Runtime.check(H5Adelete_by_name(file, objectPath, name, hid_t(H5P_DEFAULT)), operation, file: path)
        }
        let type: HDF5Type
        var count: hsize_t = 1
        var isScalar = true
        switch value {
        case .float64: type = .float64
        case .int64: type = .int64
        case .bool: type = .boolean
        case .string: type = .utf8String
        case let .strings(values):
            type = .utf8String
            count = hsize_t(values.count)
            isScalar = false
        case let .int64s(values):
            type = .int64
            count = hsize_t(values.count)
            isScalar = false
        }
        let space = isScalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nil)
        let spaceID = try HDF5Runtime.id(space, operation, file: path)
        defer { _ = H5Sclose(spaceID) }
        let attribute = try HDF5Runtime.id(
            H5Acreate_by_name(file, objectPath, name, type.id, spaceID, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)),
            operation, file: path)
        defer { _ = H5Aclose(attribute) }
        let status: herr_t
        switch value {
        case var .float64(v): status = H5Awrite(attribute, type.id, &v)
        case var .int64(v): status = H5Awrite(attribute, type.id, &v)
        case let .bool(b):
            var v: UInt8 = b ? 1 : 0
            status = H5Awrite(attribute, type.id, &v)
        case let .string(s):
            status = s.withCString { pointer in
                var p: UnsafePointer<CChar>? = pointer
                return H5Awrite(attribute, type.id, &p)
            }
        case let .strings(values):
            status = withCStrings(values) { pointers in H5Awrite(attribute, type.id, pointers.baseAddress) }
        case let .int64s(values):
            status = values.withUnsafeBufferPointer { H5Awrite(attribute, type.id, $0.baseAddress) }
        }
        try HDF5Runtime.check(status, operation, file: path)
    }

    /// The variable-length string attribute `name` of the object at `objectPath`, or nil when
    /// it does not exist.
    public func stringAttribute(_ name: String, on objectPath: String = "/") throws(HDF5Error) -> String? {
        let file = try requireOpen("read attribute \(name)")
        let operation = "read attribute \(name)"
        guard H5Aexists_by_name(file, objectPath, name, hid_t(H5P_DEFAULT)) > 0 else { return nil }
        let attribute = try HDF5Runtime.id(
            H5Aopen_by_name(file, objectPath, name, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), operation, file: path)
        defer { _ = H5Aclose(attribute) }
        let stored = try HDF5Runtime.id(H5Aget_type(attribute), operation, file: path)
        defer { _ = H5Tclose(stored) }
        guard H5Tget_class(stored) == H5T_STRING, H5Tis_variable_str(stored) > 0 else {
            throw HDF5Error(file: path, operation: operation, detail: "not a variable-length string")
        }
        var pointer: UnsafeMutablePointer<CChar>?
        try HDF5Runtime.check(H5Aread(attribute, HDF5Type.utf8String.id, &pointer), operation, file: path)
        guard let pointer else { return "" }
        defer { H5free_memory(pointer) }
        return String(cString: pointer)
    }

    /// Writes everything libhdf5 caches for this file to the OS (`H5Fflush`, global scope).
    public func flush() throws(HDF5Error) {
        let file = try requireOpen("flush")
        try HDF5Runtime.check(H5Fflush(file, H5F_SCOPE_GLOBAL), "flush", file: path)
    }

    /// `flush()`, then `fsync` of the file descriptor, so the bytes are on disk.
    public func flushToDisk() throws(HDF5Error) {
        try flush()
        var handle: UnsafeMutableRawPointer?
        try HDF5Runtime.check(H5Fget_vfd_handle(id, fileAccess, &handle), "file descriptor", file: path)
        guard let handle else { throw HDF5Error(file: path, operation: "fsync", detail: "no file descriptor") }
        let fd = handle.load(as: Int32.self)
        if fsync(fd) != 0 {
            let code = errno
            throw HDF5Error(file: path, operation: "fsync", detail: String(cString: strerror(code)), errno: code)
        }
    }

    /// Closes the file (and, with the strong close degree, everything still open in it).
    public func close() throws(HDF5Error) {
        guard id >= 0 else { return }
        for entry in datasets { entry.dataset?.closeHandle() }
        datasets = []
        let status = H5Fclose(id)
        id = -1
        _ = H5Pclose(fileAccess)
        fileAccess = -1
        try HDF5Runtime.check(status, "close", file: path)
    }
}

/// Calls `body` with NUL-terminated copies of `strings` (valid only inside `body`).
func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutableBufferPointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    var pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeMutableBufferPointer { body($0) }
}
