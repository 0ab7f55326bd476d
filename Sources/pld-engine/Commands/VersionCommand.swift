import ArgumentParser
import Drivers
import MuJoCo
import Policies
import Recording
import ZeroMQ

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the versions of pld and of the C libraries it is linked against.")

    func run() throws {
        print("pld \(softwareVersion)")
        print("libzmq \(ZeroMQLibrary.version) (curve: \(ZeroMQLibrary.has("curve") ? "yes" : "no"))")
        print("MuJoCo \(MuJoCoLibrary.version)")
        print("HDF5 \(HDF5Library.version)")
        print("OpenBLAS \(BLASLibrary.configuration)")
    }
}
