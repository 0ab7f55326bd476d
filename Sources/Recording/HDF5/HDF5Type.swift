import CHDF5

/// An HDF5 datatype: a predefined native type (not owned) or one this process built (an
/// enum, a string, a compound), closed when the value is released.
///
/// Threading: immutable after init; the identifier is used by whichever thread writes.
public final class HDF5Type: @unchecked Sendable {
    // @unchecked: immutable; libhdf5 is thread-safe (HDF5Runtime).
    let id: hid_t
    /// Bytes of one element in memory.
    public let size: Int
    private let owned: Bool

    private init(id: hid_t, size: Int, owned: Bool) {
        self.id = id
        self.size = size
        self.owned = owned
    }

    deinit { if owned { _ = H5Tclose(id) } }

    private static func native(_ id: hid_t, _ size: Int) -> HDF5Type {
        HDF5Runtime.quiet
        return HDF5Type(id: id, size: size, owned: false)
    }

    public static let float64 = native(pld_h5t_native_double(), 8)
    public static let int32 = native(pld_h5t_native_int32(), 4)
    public static let int64 = native(pld_h5t_native_int64(), 8)
    public static let uint8 = native(pld_h5t_native_uint8(), 1)
    public static let uint64 = native(pld_h5t_native_uint64(), 8)

    /// h5py's boolean: an enum over int8 with members FALSE = 0 and TRUE = 1, which h5py reads
    /// as numpy `bool`. One byte per element in memory (`UInt8` 0 or 1).
    public static let boolean: HDF5Type = {
        HDF5Runtime.quiet
        let id = H5Tenum_create(pld_h5t_native_int8())
        precondition(id >= 0, "H5Tenum_create(int8) failed")
        var no: Int8 = 0, yes: Int8 = 1
        precondition(H5Tenum_insert(id, "FALSE", &no) >= 0 && H5Tenum_insert(id, "TRUE", &yes) >= 0, "H5Tenum_insert failed")
        return HDF5Type(id: id, size: 1, owned: true)
    }()

    /// A variable-length UTF-8 string (h5py reads it as `str`). In memory: a `char *`.
    public static let utf8String: HDF5Type = {
        HDF5Runtime.quiet
        let id = H5Tcopy(pld_h5t_c_s1())
        precondition(id >= 0 && H5Tset_size(id, pld_h5t_variable()) >= 0 && H5Tset_cset(id, H5T_CSET_UTF8) >= 0,
                     "variable-length string type failed")
        return HDF5Type(id: id, size: MemoryLayout<UnsafePointer<CChar>>.size, owned: true)
    }()

    /// A fixed-size, NUL-padded byte string of `bytes` bytes (numpy `S<bytes>`).
    public static func fixedString(bytes: Int) throws(HDF5Error) -> HDF5Type {
        HDF5Runtime.quiet
        let id = try HDF5Runtime.id(H5Tcopy(pld_h5t_c_s1()), "fixed string type", file: "")
        let t = HDF5Type(id: id, size: bytes, owned: true)
        try HDF5Runtime.check(H5Tset_size(id, bytes), "fixed string size \(bytes)", file: "")
        try HDF5Runtime.check(H5Tset_strpad(id, H5T_STR_NULLPAD), "fixed string padding", file: "")
        return t
    }

    /// A compound of `fields` (name, byte offset in the element, type) with element size `size`.
    public static func compound(size: Int, fields: [(name: String, offset: Int, type: HDF5Type)]) throws(HDF5Error) -> HDF5Type {
        HDF5Runtime.quiet
        let id = try HDF5Runtime.id(H5Tcreate(H5T_COMPOUND, size), "compound type", file: "")
        let t = HDF5Type(id: id, size: size, owned: true)
        for field in fields {
            try HDF5Runtime.check(H5Tinsert(id, field.name, field.offset, field.type.id), "compound field \(field.name)", file: "")
        }
        return t
    }
}
