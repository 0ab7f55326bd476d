import Foundation
import PLDCore
import Testing

@Suite struct SPSCQueueTests {
    @Test func fullAndEmptyAreReportedNotWaitedOn() {
        let queue = SPSCQueue<Int>(capacity: 3)
        #expect(queue.pop() == nil)
        #expect(queue.push(1) && queue.push(2) && queue.push(3))
        #expect(!queue.push(4))
        #expect(queue.count == 3)
        #expect(queue.pop() == 1)
        #expect(queue.push(4))
        #expect([queue.pop(), queue.pop(), queue.pop(), queue.pop()] == [2, 3, 4, nil])
    }

    @Test func twoThreadsPassAMillionValuesInOrder() async {
        let queue = SPSCQueue<ActionVector>(capacity: 64)
        let total = 1_000_000
        let producer = Thread {
            var i = 0
            while i < total {
                var action = ActionVector(count: 2)
                action[0] = Double(i)
                action[1] = -Double(i)
                if queue.push(action) { i += 1 }
            }
        }
        producer.start()
        var expected = 0
        var inOrder = true
        while expected < total {
            guard let action = queue.pop() else { continue }
            if action[0] != Double(expected) || action[1] != -Double(expected) { inOrder = false }
            expected += 1
        }
        #expect(inOrder)
        #expect(queue.pop() == nil)
    }
}

@Suite struct TripleBufferTests {
    @Test func readerAlwaysSeesWholeValuesAndTheNewestOne() {
        let buffer = TripleBuffer(initial: ActionVector(count: 4))
        #expect(buffer.read().isNew == false)
        let writer = Thread {
            for i in 1...200_000 {
                var v = ActionVector(count: 4)
                for d in 0..<4 { v[d] = Double(i) }
                buffer.write(v)
            }
        }
        writer.start()
        var last = 0.0, torn = false, backwards = false
        while last < 200_000 {
            let (value, _) = buffer.read()
            if value[0] != value[1] || value[1] != value[2] || value[2] != value[3] { torn = true }
            if value[0] < last { backwards = true }
            last = value[0]
        }
        #expect(!torn)
        #expect(!backwards)
        #expect(buffer.read().isNew == false)
    }
}
