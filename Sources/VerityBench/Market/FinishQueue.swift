/// The simulation's pending job completions, earliest first (ties by job index, so runs replay
/// exactly): a binary min-heap.
struct FinishQueue: Sendable {
    private var heap: [(time: Double, job: Int)] = []

    var first: (time: Double, job: Int)? { heap.first }

    /// - Complexity: O(log n).
    mutating func push(_ time: Double, job: Int) {
        heap.append((time, job))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.earlier(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest completion; the queue must not be empty.
    /// - Complexity: O(log n).
    mutating func pop() -> (time: Double, job: Int) {
        let top = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, Self.earlier(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.earlier(heap[right], heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    private static func earlier(_ a: (time: Double, job: Int), _ b: (time: Double, job: Int)) -> Bool {
        a.time != b.time ? a.time < b.time : a.job < b.job
    }
}
