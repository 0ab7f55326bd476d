import Foundation

/// Writes one line to stderr (errors and warnings; stdout stays machine-readable).
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes one line to stdout at once (no stdio buffering): episode lines reach a pipe — a
/// supervisor, a log file, a test — as they happen, not when the buffer fills or at exit.
public func printOut(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Directory of the running executable (`/proc/self/exe`), where SwiftPM puts sibling products.
public func executableDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return "." }
    let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
}

/// Replaces this process with `path` (execv: same process id, so signals and the exit status
/// are the new program's). `searchPath`: look `path` up on PATH (execvp). Returns only on
/// failure, with errno's description.
public func replaceProcess(with path: String, arguments: [String], searchPath: Bool = false) -> String {
    var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    _ = searchPath ? execvp(path, &cArguments) : execv(path, &cArguments)
    return String(cString: strerror(errno))
}
