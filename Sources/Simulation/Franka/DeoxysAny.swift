import SwiftProtobuf
import Wire

/// `google.protobuf.Any` unpacking as deoxys's C++ NUC does it (`Any::UnpackTo`): the part of
/// the type URL after the last `/` must equal the target's full proto name, which for deoxys
/// messages (no `package`) is the bare message name. `type.googleapis.com/deoxys.X` does not
/// match `X`.
enum DeoxysAny {
    /// The bare type name of `any` (after the last `/`).
    static func typeName(_ any: Google_Protobuf_Any) -> Substring {
        let url = any.typeURL
        guard let slash = url.lastIndex(of: "/") else { return Substring(url) }
        return url[url.index(after: slash)...]
    }

    /// Whether `any` names `type`.
    static func holds<M: SwiftProtobuf.Message>(_ any: Google_Protobuf_Any, _ type: M.Type) -> Bool {
        typeName(any) == M.protoMessageName
    }

    /// The message in `any` when it names `type` and its bytes decode; nil otherwise.
    static func unpack<M: SwiftProtobuf.Message>(_ any: Google_Protobuf_Any, as type: M.Type) -> M? {
        guard holds(any, type) else { return nil }
        return try? M(serializedBytes: any.value)
    }
}
