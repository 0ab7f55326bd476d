import ArgumentParser
import Foundation
import OperatorCLI
import ZeroMQ

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage CURVE keys for operator access to a run over TCP.",
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a CURVE key pair: NAME.key (public, share it) and NAME.key_secret (owner-only).",
            discussion: """
                The files use the czmq/pyzmq certificate format, so `zmq.auth.load_certificate` \
                reads them. Name the files in the robot config's operator section: the run's \
                secret key on the robot PC, each operator's public key in its allow list.
                """)

        @Option(help: ArgumentHelp("Base name of the key files.", valueName: "NAME"))
        var name: String

        @Option(help: ArgumentHelp("Directory to write the key files to (created owner-only if missing).", valueName: "DIR"))
        var out: String = "."

        @Flag(help: "Replace existing key files.")
        var force = false

        func validate() throws {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw ValidationError("--name must be a plain file name, got '\(name)'")
            }
        }

        func run() throws {
            let files = FileManager.default
            let directory = URL(fileURLWithPath: out)
            let publicURL = directory.appendingPathComponent("\(name).key")
            let secretURL = directory.appendingPathComponent("\(name).key_secret")
            if !force {
                for url in [publicURL, secretURL] where files.fileExists(atPath: url.path) {
                    printError("pld keys generate: \(url.path) exists; pass --force to replace it")
                    throw ExitCode.failure
                }
            }
            do {
                try files.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let pair = try CurveKeyPair.generate()
                let certificate = CurveCertificate(publicKey: pair.publicKey, secretKey: pair.secretKey)
                // Create the secret file owner-only before any byte of the key is written.
                guard files.createFile(atPath: secretURL.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    printError("pld keys generate: cannot create \(secretURL.path)")
                    throw ExitCode.failure
                }
                try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretURL.path)
                try Data(certificate.secretText!.utf8).write(to: secretURL)
                try Data(certificate.publicText.utf8).write(to: publicURL)
                print("wrote \(publicURL.path) (public) and \(secretURL.path) (secret, mode 0600)")
                print("public key: \(pair.publicKey.z85)")
            } catch let error as ZMQError {
                printError("pld keys generate: \(error)")
                throw ExitCode.failure
            } catch {
                printError("pld keys generate: \(error.localizedDescription)")
                throw ExitCode.failure
            }
        }
    }
}
