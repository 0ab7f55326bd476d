import Foundation
import Glibc

/// What identifies the run a directory belongs to (`run.json`).
public struct RunIdentity: Sendable {
    public var configName: String
    public var configHash: String
    public var robotType: String
    /// The robot config's exact bytes, copied to `config.yaml`.
    public var configBytes: [UInt8]
    public var softwareVersion: String

    public init(configName: String, configHash: String, robotType: String, configBytes: [UInt8], softwareVersion: String) {
        self.configName = configName
        self.configHash = configHash
        self.robotType = robotType
        self.configBytes = configBytes
        self.softwareVersion = softwareVersion
    }
}

/// A run directory (EpisodeFormat.md): its layout, its index, and the recovery of whatever an
/// interrupted run left behind.
///
/// Opening one (`init`) creates the folders, writes `run.json` and `config.yaml` on first use
/// (refusing a directory recorded with a different config), then recovers: a torn last index
/// line is cut off and kept aside; every `.partial` episode or video is moved to
/// `incomplete/` and reported; a closed episode file missing from the index (a kill between
/// rename and index) is re-indexed from its own `index_entry` attribute. `recoveryReport` says
/// what was found, one line each.
///
/// Threading: `init` on the caller's thread; afterwards the recorder thread owns it.
public final class RunDirectory: @unchecked Sendable {
    // @unchecked: mutated only by its owner thread (see type doc).
    public let path: String
    public private(set) var entries: [IndexEntry] = []
    public private(set) var recoveryReport: [String] = []

    public static let indexName = "index.jsonl"

    /// The index of the next episode: one past the highest closed one.
    public var nextEpisodeIndex: Int { (entries.map(\.episodeIndex).max() ?? -1) + 1 }

    public init(path: String, identity: RunIdentity) throws(RecordingError) {
        self.path = path
        for folder in ["", "episodes", "videos", "incomplete"] {
            try Self.makeDirectory((path as NSString).appendingPathComponent(folder))
        }
        try checkOrWriteIdentity(identity)
        try recover()
    }

    // MARK: Paths

    public func url(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    public static func episodeFileName(_ episode: Int) -> String { String(format: "episode_%06d.hdf5", episode) }
    public func episodeRelativePath(_ episode: Int) -> String { "episodes/" + Self.episodeFileName(episode) }
    public func videoRelativePath(camera: String, episode: Int) -> String {
        "videos/\(camera)/" + String(format: "episode_%06d.mp4", episode)
    }

    // MARK: Index

    /// Appends `entry` as one line to `index.jsonl` and fsyncs it.
    public func appendIndex(_ entry: IndexEntry) throws(RecordingError) {
        try Self.appendLine(entry.jsonLine(), to: url(Self.indexName))
        entries.append(entry)
    }

    /// Every entry of `RUN/index.jsonl`; a line that does not decode is an error naming the
    /// file and line. Missing index: no entries.
    public static func readIndex(runPath: String) throws(RecordingError) -> [IndexEntry] {
        let indexPath = (runPath as NSString).appendingPathComponent(indexName)
        guard FileManager.default.fileExists(atPath: indexPath) else { return [] }
        let text: String
        do {
            text = try String(contentsOfFile: indexPath, encoding: .utf8)
        } catch {
            throw RecordingError("\(indexPath): cannot read: \(error.localizedDescription)")
        }
        var entries: [IndexEntry] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do {
                entries.append(try IndexEntry.decode(line: String(line)))
            } catch {
                throw RecordingError("\(indexPath):\(number + 1): \(error.description)")
            }
        }
        return entries
    }

    // MARK: Identity

    private struct RunFile: Codable {
        var layout: String
        var configName: String
        var configHash: String
        var robotType: String
        var createdUnixNs: Int64
        var softwareVersion: String

        enum CodingKeys: String, CodingKey {
            case layout, configName = "config_name", configHash = "config_hash", robotType = "robot_type"
            case createdUnixNs = "created_unix_ns", softwareVersion = "software_version"
        }
    }

    private func checkOrWriteIdentity(_ identity: RunIdentity) throws(RecordingError) {
        let runFile = url("run.json")
        if let data = FileManager.default.contents(atPath: runFile) {
            guard let existing = try? JSONDecoder().decode(RunFile.self, from: data) else {
                throw RecordingError("\(runFile): not a pld run file; choose another --out")
            }
            guard existing.configHash == identity.configHash else {
                throw RecordingError(
                    "\(path) was recorded with config \(existing.configName) (sha256 \(existing.configHash.prefix(12))…); "
                        + "this config differs (sha256 \(identity.configHash.prefix(12))…): use a new --out")
            }
            return
        }
        let record = RunFile(
            layout: "pld-run/1", configName: identity.configName, configHash: identity.configHash, robotType: identity.robotType,
            createdUnixNs: Self.unixNanos(), softwareVersion: identity.softwareVersion)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(record)) ?? Data()
        try Self.writeDurably(Array(json) + [0x0A], to: runFile)
        try Self.writeDurably(identity.configBytes, to: url("config.yaml"))
    }

    // MARK: Recovery

    private func recover() throws(RecordingError) {
        try recoverIndex()
        let stamp = Self.unixNanos() / 1_000_000_000
        let files = FileManager.default
        let indexed = Set(entries.map(\.episodeIndex))

        // Episodes that were open: moved aside, never exported.
        let episodeNames = ((try? files.contentsOfDirectory(atPath: url("episodes"))) ?? []).sorted()
        for name in episodeNames where name.hasSuffix(".hdf5.partial") {
            let target = "incomplete/" + name.replacingOccurrences(of: ".hdf5.partial", with: "-\(stamp).hdf5.partial")
            try move("episodes/\(name)", to: target)
            recoveryReport.append("episodes/\(name) was open when an earlier run ended (killed or crashed); moved to \(target), not exported")
        }
        // Closed files the index does not list: re-indexed from their own entry.
        for name in episodeNames where name.hasSuffix(".hdf5") {
            guard let index = Self.episodeNumber(name), !indexed.contains(index) else { continue }
            let relative = "episodes/\(name)"
            do {
                let file = try HDF5File.openReadOnly(url(relative))
                let line = try file.stringAttribute("index_entry")
                try file.close()
                guard let line else { throw RecordingError("no index_entry attribute") }
                let entry = try IndexEntry.decode(line: line)
                guard entry.episodeIndex == index else { throw RecordingError("its index_entry names episode \(entry.episodeIndex)") }
                try appendIndex(entry)
                recoveryReport.append("\(relative) was closed but not in the index (the run ended between the two); re-indexed")
            } catch {
                let target = "incomplete/" + name.replacingOccurrences(of: ".hdf5", with: "-\(stamp).hdf5")
                try move(relative, to: target)
                recoveryReport.append("\(relative) is not in the index and cannot be re-indexed (\(error)); moved to \(target)")
            }
        }
        // Videos of episodes that never closed.
        let closed = Set(entries.map(\.episodeIndex))
        for camera in ((try? files.contentsOfDirectory(atPath: url("videos"))) ?? []).sorted() {
            for name in ((try? files.contentsOfDirectory(atPath: url("videos/\(camera)"))) ?? []).sorted() {
                let isPartial = name.hasSuffix(".mp4.partial")
                let orphan = !isPartial && name.hasSuffix(".mp4") && Self.episodeNumber(name).map { !closed.contains($0) } == true
                guard isPartial || orphan else { continue }
                let target = "incomplete/\(camera)-" + name.replacingOccurrences(of: ".mp4", with: "-\(stamp).mp4")
                try move("videos/\(camera)/\(name)", to: target)
                recoveryReport.append("videos/\(camera)/\(name) belongs to no closed episode; moved to \(target)")
            }
        }
    }

    /// Reads the index; a torn last line (a kill while appending) is cut off and kept in
    /// `incomplete/`. A bad line elsewhere is an error: appending to a damaged index would
    /// hide the damage.
    private func recoverIndex() throws(RecordingError) {
        let indexPath = url(Self.indexName)
        guard let data = FileManager.default.contents(atPath: indexPath), !data.isEmpty else { return }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        let endsWithNewline = data.last == 0x0A
        if endsWithNewline { lines.removeLast() }
        for (number, line) in lines.enumerated() {
            let text = String(decoding: line, as: UTF8.self)
            do {
                entries.append(try IndexEntry.decode(line: text))
            } catch {
                let isLast = number == lines.count - 1
                guard isLast && !endsWithNewline else {
                    throw RecordingError("\(indexPath):\(number + 1): \(error.description); repair or remove that line")
                }
                let keep = data.count - line.count
                let fragment = "incomplete/index-fragment-\(Self.unixNanos()).txt"
                try Self.writeDurably(Array(line), to: url(fragment))
                guard truncate(indexPath, off_t(keep)) == 0 else {
                    throw RecordingError("\(indexPath): cannot cut off its torn last line: \(String(cString: strerror(errno)))")
                }
                recoveryReport.append("\(Self.indexName) line \(number + 1) was cut short (a run ended while writing it); moved to \(fragment)")
            }
        }
    }

    private func move(_ from: String, to: String) throws(RecordingError) {
        guard rename(url(from), url(to)) == 0 else {
            throw RecordingError("\(url(from)): cannot move to \(url(to)): \(String(cString: strerror(errno)))")
        }
    }

    static func episodeNumber(_ name: String) -> Int? {
        guard name.hasPrefix("episode_") else { return nil }
        return Int(name.dropFirst("episode_".count).prefix { $0.isNumber })
    }

    // MARK: Durable file operations

    static func unixNanos() -> Int64 { wallClockUnixNanos() }

    static func errnoError(_ what: String, _ path: String) -> RecordingError {
        let code = errno
        return RecordingError("\(path): \(what): \(String(cString: strerror(code)))", isOutOfSpace: code == ENOSPC || code == EFBIG || code == EDQUOT)
    }

    static func makeDirectory(_ path: String) throws(RecordingError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RecordingError("\(path): cannot create directory: \(error.localizedDescription)")
        }
    }

    /// Writes `bytes` to `path` (replacing it) through a temporary file, fsync and rename.
    static func writeDurably(_ bytes: [UInt8], to path: String) throws(RecordingError) {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw errnoError("cannot create", temporary) }
        var ok = writeAll(fd, bytes)
        if ok { ok = fsync(fd) == 0 }
        let error = ok ? nil : errnoError("cannot write", temporary)
        close(fd)
        if let error {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else { throw errnoError("cannot rename into place", temporary) }
        try syncDirectory(of: path)
    }

    /// Appends `line` and a newline to `path` in one write, then fsyncs.
    static func appendLine(_ line: String, to path: String) throws(RecordingError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw errnoError("cannot open", path) }
        defer { close(fd) }
        guard writeAll(fd, Array((line + "\n").utf8)), fsync(fd) == 0 else { throw errnoError("cannot append", path) }
    }

    /// fsync of the directory holding `path`, so a rename into it survives a power cut.
    static func syncDirectory(of path: String) throws(RecordingError) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw errnoError("cannot open directory", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw errnoError("cannot fsync directory", directory) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}
