/// What one server accepts and how it batches: every limit is checked before any work is queued, so an
/// oversized or flooding client is answered at once (413 / 429) and costs the others nothing.
public struct ServeLimits: Sendable, Equatable {
    /// Largest request body read, in bytes (413 above it).
    public var maxBodyBytes = 1 << 20
    /// Texts in one request (413 above it).
    public var maxTextsPerRequest = 256
    /// Characters in one text (413 above it). The model reads at most its `--max-len` tokens anyway.
    public var maxTextCharacters = 50_000
    /// Texts waiting for the model across all requests (429 when a request would pass it).
    public var maxQueuedTexts = 4096
    /// Texts gathered into one forward pass.
    public var maxBatch = 64
    /// How long the first waiting text is held for others to join its batch, in milliseconds. 0 (Triton's
    /// default): while the workers are busy, requests gather on their own, and a worker that holds a batch back
    /// leaves a core idle (measured: 2 ms cost a quarter of the throughput at 16 connections).
    public var maxDelayMilliseconds = 0.0

    public init() {}
}
