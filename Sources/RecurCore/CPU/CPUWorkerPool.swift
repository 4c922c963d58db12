import Foundation
import Synchronization

/// Persistent worker threads that run one parallel job at a time.
///
/// Ops are short (a recurrent step's GEMM takes ~100 us), so threads are created once and a job is handed
/// over through an atomic generation counter: idle workers spin for a while before sleeping on a condition,
/// which keeps the hand-over at well under a microsecond when ops come back to back. The calling thread
/// takes part as worker 0. Jobs are serialized by a lock, so one pool can serve several backends, and each
/// worker owns scratch memory (GEMM packing buffers) that is only touched inside a job.
final class CPUWorkerPool: @unchecked Sendable {
    /// One pool per process: several backends must not oversubscribe the cores.
    static let shared = CPUWorkerPool(threadCount: defaultThreadCount())

    /// `RECUR_CPU_THREADS` if set, else the active processors shared among the MPI processes on this host
    /// (mpirun says how many it started here), so that ranks on one machine do not oversubscribe it.
    static func defaultThreadCount() -> Int {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["RECUR_CPU_THREADS"], let count = Int(text), count > 0 {
            return count
        }
        let processesHere = (environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? environment["MPI_LOCALNRANKS"]).flatMap { Int($0) } ?? 1
        return max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, processesHere))
    }

    let threadCount: Int
    private let scratch: [WorkerScratch]

    private let generation = Atomic<Int>(0)
    private let unfinishedWorkers = Atomic<Int>(0)
    private let wakeUp = NSCondition()
    private let jobLock = NSLock()
    /// The current job, called with the worker index; written before `generation` is published.
    private nonisolated(unsafe) var job: ((Int) -> Void)?

    /// Spin iterations (a few ns each) before an idle worker sleeps: about 0.2 ms.
    private static let spinLimit = 1 << 16

    init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        scratch = (0..<self.threadCount).map { _ in WorkerScratch() }
        for worker in 1..<self.threadCount {
            let thread = Thread { [unowned self] in self.workerLoop(worker) }
            thread.name = "recur-cpu-\(worker)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs `body(task, worker)` for every task in `0..<taskCount`; worker `w` runs tasks w, w + T, ...
    /// Returns when all tasks are done. `body` must not call `run` again.
    func run(tasks taskCount: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        jobLock.lock()
        defer { jobLock.unlock() }
        let workers = min(taskCount, threadCount)
        if workers <= 1 {
            for task in 0..<taskCount { body(task, 0) }
            return
        }
        let stride = threadCount
        withoutActuallyEscaping(body) { body in
            job = { worker in
                var task = worker
                while task < taskCount {
                    body(task, worker)
                    task += stride
                }
            }
            unfinishedWorkers.store(threadCount - 1, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            wakeUp.lock()
            wakeUp.broadcast()
            wakeUp.unlock()

            job!(0)
            // Spin for the others; yield if one is slow (on a busy machine it may be descheduled).
            var spins = 0
            while unfinishedWorkers.load(ordering: .acquiring) != 0 {
                spins += 1
                if spins > 4096 { sched_yield() }
            }
            job = nil
        }
    }

    /// Splits `0..<count` into one contiguous range per thread when each gets at least `grain` elements,
    /// else runs it on the calling thread. Ranges start on multiples of 16 so SIMD loops stay aligned.
    func parallelFor(count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(threadCount, count / max(grain, 1))
        if parts <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        let chunk = ((count + parts - 1) / parts + 15) & ~15
        run(tasks: parts) { task, _ in
            let start = task * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }

    /// Float scratch of at least `count` elements owned by `worker`, 64-byte aligned, kept between jobs.
    /// Valid only inside a job (or while holding the pool for a single-task run).
    func scratch(worker: Int, count: Int) -> UnsafeMutablePointer<Float> {
        scratch[worker].reserve(count)
    }

    private func workerLoop(_ worker: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins >= Self.spinLimit {
                    wakeUp.lock()
                    while generation.load(ordering: .acquiring) == seen { wakeUp.wait() }
                    wakeUp.unlock()
                }
            }
            seen = generation.load(ordering: .acquiring)
            job!(worker)
            unfinishedWorkers.subtract(1, ordering: .releasing)
        }
    }
}

/// A growable aligned buffer private to one worker thread.
final class WorkerScratch {
    private var buffer: UnsafeMutablePointer<Float>?
    private var capacity = 0

    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let buffer, capacity >= count { return buffer }
        buffer?.deallocate()
        capacity = max(count, capacity * 2)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
        buffer = raw.bindMemory(to: Float.self, capacity: capacity)
        return buffer!
    }
}
