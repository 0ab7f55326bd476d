import Drivers
import Policies
import Recording
import Runtime
import Simulation
import ZeroMQ

print("pld \(SoftwareVersion.current): libzmq \(ZeroMQLibrary.version), MuJoCo \(MuJoCoLibrary.version), HDF5 \(HDF5Library.version)")
