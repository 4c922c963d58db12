#!/usr/bin/env python3
"""Soak test of a running `recur serve` (scripts/soak-serve.sh starts it): good requests at the measured
capacity for --seconds, with slow clients, dropped connections, oversized and malformed bodies mixed in.
Passes when no good request fails and the server's resident memory stays flat; prints a report.
Standard library only."""
import argparse, http.client, json, random, socket, statistics, sys, threading, time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Good(threading.Thread):
    """One keep-alive connection sending one text per request, paced to `interval` seconds per request (0: as
    fast as answers come)."""

    def __init__(self, host, port, texts, interval, stop, seed):
        super().__init__(daemon=True)
        self.host, self.port, self.texts, self.interval, self.stop = host, port, texts, interval, stop
        self.random = random.Random(seed)
        self.ok = self.errors = 0
        self.latencies, self.messages = [], []

    def run(self):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        next_time = time.monotonic()
        while not self.stop.is_set():
            body = json.dumps({"text": self.random.choice(self.texts)})
            start = time.monotonic()
            try:
                connection.request("POST", "/v1/predict", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                payload = response.read()
                if response.status == 200 and b"label" in payload:
                    self.ok += 1
                    self.latencies.append(time.monotonic() - start)
                else:
                    self.errors += 1
                    self.messages.append(f"{response.status} {payload[:200]!r}")
            except Exception as error:  # a good request must never fail
                self.errors += 1
                self.messages.append(repr(error))
                connection.close()
                connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            if self.interval > 0:
                next_time += self.interval
                time.sleep(max(0.0, next_time - time.monotonic()))


class Abuse(threading.Thread):
    """The clients a server meets that are not polite; counts how each was answered."""

    def __init__(self, host, port, stop, seed, max_body):
        super().__init__(daemon=True)
        self.host, self.port, self.stop, self.max_body = host, port, stop, max_body
        self.random = random.Random(seed)
        self.counts = {}

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def raw(self, data, read=True, timeout=30):
        with socket.create_connection((self.host, self.port), timeout=timeout) as s:
            s.sendall(data)
            if not read:
                return None
            reply = s.recv(64)
            return reply.split(b" ")[1].decode() if reply.startswith(b"HTTP/") else "closed"

    def run(self):
        request = lambda body, length=None: (
            b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode() + body)
        while not self.stop.is_set():
            kind = self.random.choice(["slow", "dropped-headers", "dropped-body", "dropped-response", "oversized", "malformed"])
            try:
                if kind == "slow":  # a body trickling in, a byte every 0.2 s
                    body = json.dumps({"text": "slowly, slowly"}).encode()
                    with socket.create_connection((self.host, self.port), timeout=30) as s:
                        s.sendall(request(b"", len(body)))
                        for byte in body:
                            s.sendall(bytes([byte]))
                            time.sleep(0.2)
                        reply = s.recv(64)
                        self.count(f"slow: {reply.split(b' ')[1].decode() if reply.startswith(b'HTTP/') else 'closed'}")
                elif kind == "dropped-headers":
                    self.raw(b"POST /v1/predict HTTP/1.1\r\nContent-Le", read=False)
                    self.count("dropped mid-headers")
                elif kind == "dropped-body":
                    self.raw(request(b'{"text": "cut', 200), read=False)
                    self.count("dropped mid-body")
                elif kind == "dropped-response":
                    self.raw(request(json.dumps({"text": "never read"}).encode()), read=False)
                    self.count("dropped before the answer")
                elif kind == "oversized":
                    self.count(f"oversized: {self.raw(request(b'x' * (self.max_body + 1)))}")
                else:
                    self.count(f"malformed: {self.raw(request(b'{not json'))}")
            except OSError as error:
                self.count(f"{kind}: {type(error).__name__}")
            time.sleep(self.random.uniform(0.05, 0.3))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="the server's process, for its RSS")
    parser.add_argument("--texts", required=True, help="one text per line")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--abusers", type=int, default=4)
    parser.add_argument("--max-body", type=int, default=1 << 20)
    parser.add_argument("--rss-growth-limit", type=float, default=0.10, help="fraction of the early RSS")
    args = parser.parse_args()
    host = "127.0.0.1"
    texts = [line.strip() for line in open(args.texts, encoding="utf-8") if line.strip()]

    # Capacity: closed loop, as fast as answers come, for a tenth of the run (at least 10 s).
    stop = threading.Event()
    probes = [Good(host, args.port, texts, 0, stop, seed) for seed in range(args.connections)]
    for p in probes: p.start()
    probe_seconds = max(10.0, args.seconds / 10)
    time.sleep(probe_seconds)
    stop.set()
    for p in probes: p.join()
    capacity = sum(p.ok for p in probes) / probe_seconds
    if any(p.errors for p in probes):
        print("errors while measuring capacity:", [m for p in probes for m in p.messages][:5])
        return 1

    # The soak: the same connections paced to the capacity, abusers alongside, RSS sampled every 2 s.
    stop = threading.Event()
    good = [Good(host, args.port, texts, args.connections / capacity, stop, 100 + seed) for seed in range(args.connections)]
    abusers = [Abuse(host, args.port, stop, 200 + seed, args.max_body) for seed in range(args.abusers)]
    for t in good + abusers: t.start()
    samples, start = [], time.monotonic()
    while time.monotonic() - start < args.seconds:
        samples.append((time.monotonic() - start, rss_mib(args.pid)))
        time.sleep(2)
    stop.set()
    for t in good: t.join()
    for t in abusers: t.join(timeout=40)

    ok, errors = sum(g.ok for g in good), sum(g.errors for g in good)
    latencies = sorted(l for g in good for l in g.latencies)
    counts = {}
    for a in abusers:
        for k, v in a.counts.items(): counts[k] = counts.get(k, 0) + v
    tenth = max(1, len(samples) // 10)
    early = statistics.median(r for _, r in samples[tenth:2 * tenth])  # after warm-up
    late = statistics.median(r for _, r in samples[-tenth:])
    peak = max(r for _, r in samples)
    growth = (late - early) / early
    print(f"capacity (closed loop, {args.connections} connections, {probe_seconds:.0f} s): {capacity:.0f} requests/s")
    print(f"soak: {args.seconds:.0f} s at {ok / args.seconds:.0f} requests/s; good requests {ok}, failed {errors}")
    if latencies:
        print(f"latency p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms")
    print("other clients: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
    print(f"server RSS: {early:.1f} MiB early, {late:.1f} MiB late ({growth:+.1%}), peak {peak:.1f} MiB")
    for g in good:
        for m in g.messages[:3]: print("  failed:", m)
    passed = errors == 0 and growth <= args.rss_growth_limit
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
