import Drivers
import MuJoCo
import Policies
import Recording
import Testing

@Suite struct SystemLibraryTests {
    @Test func mujocoHeaderMatchesLoadedLibrary() {
        #expect(MuJoCoLibrary.headerMatchesLibrary)
        #expect(MuJoCoLibrary.version.hasPrefix("2."))
    }

    @Test func openBLASComputesADotProduct() {
        #expect(BLASLibrary.dot([1, 2, 3], [4, 5, 6]) == 32)
    }

    @Test func hdf5ReportsItsVersion() {
        let parts = HDF5Library.version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3)
        #expect(parts.first == 1)
    }
}
