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
