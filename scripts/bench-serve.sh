#!/usr/bin/env bash
# Load test, side by side on one model: wrk against `recur serve` and against the same model in Flask + PyTorch
# (scripts/serve_torch_twin.py: Flask's threaded server, and gunicorn with 2 workers), with the same texts.
# Prints requests/s, p50/p99 latency, errors, peak RSS, RSS growth over the run, and ratios to the best Flask row.
#
#   scripts/bench-serve.sh [RUN]         # default: trains an LSTM on MR (rt-polarity, ../shared/data) first
#
# Environment: BENCH_SECONDS (default 120) per runner, BENCH_CONNECTIONS (default 16), RECUR_DEVICE (default cpu),
# RECUR_BENCH_VENV (the PyTorch venv, default /tmp/recur-bench-venv). Loopback only; every run is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
seconds="${BENCH_SECONDS:-120}"
connections="${BENCH_CONNECTIONS:-16}"
device="${RECUR_DEVICE:-cpu}"
work="${TMPDIR:-/tmp}/recur-bench-serve"
mkdir -p "$work"

command -v wrk >/dev/null || { echo "installing wrk" >&2; apt-get install -y -q wrk >/dev/null; }
venv="${RECUR_BENCH_VENV:-/tmp/recur-bench-venv}"
if ! "$venv/bin/python" -c "import torch, flask, gunicorn, safetensors, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "torch==2.13.0+cpu" 2>/dev/null || "$venv/bin/pip" install --quiet torch
    "$venv/bin/pip" install --quiet safetensors numpy flask gunicorn
fi
swift build -c release --product recur >&2
recur="$PWD/.build/release/recur"

data=../shared/data/rt-polarity
[ -d "$data" ] || { echo "error: $data is missing (the load test's texts and model come from MR)" >&2; exit 1; }
run="${1:-$work/mr-lstm}"
if [ ! -f "$run/model.safetensors" ]; then
    "$recur" train --class "pos=$data/rt-polarity.pos" --class "neg=$data/rt-polarity.neg" --encoding cp1252 \
        --epochs 4 --device "$device" --out "$run" >&2
fi

# The texts: 2,000 MR sentences (both classes), one {"text": ...} body each, cycled by every connection.
python3 - "$data" "$work/bodies.lua" <<'PY'
import json, sys
data, out = sys.argv[1], sys.argv[2]
lines = []
for name in ("rt-polarity.pos", "rt-polarity.neg"):
    lines += [l.strip() for l in open(f"{data}/{name}", encoding="cp1252") if l.strip()][:1000]
with open(out, "w") as f:
    f.write("bodies = {\n")
    for line in lines:
        f.write("  %s,\n" % json.dumps(json.dumps({"text": line})))
    f.write("}\n")
    f.write('counter = 0\n'
            'request = function()\n'
            '  counter = counter + 1\n'
            '  return wrk.format("POST", "/v1/predict", {["Content-Type"] = "application/json"}, bodies[counter % #bodies + 1])\n'
            'end\n')
PY

# rss_of PID...: resident KiB of the processes and their children, summed.
rss_of() {
    local pids="$*" all="$*" child
    for pid in $pids; do
        for child in $(pgrep -P "$pid" 2>/dev/null); do all="$all $child"; done
    done
    ps -o rss= -p "${all// /,}" 2>/dev/null | awk '{s += $1} END {print s + 0}'
}

# measure NAME PORT PID: waits for /readyz, warms up, runs wrk while sampling RSS; appends a JSON row.
measure() {
    local name="$1" port="$2" pid="$3"
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
    wrk -t1 -c"$connections" -d5s -s "$work/bodies.lua" "http://127.0.0.1:$port" >/dev/null  # warm-up
    local start_rss peak=0 rss
    start_rss=$(rss_of "$pid")
    wrk -t1 -c"$connections" -d"${seconds}s" --timeout 10s --latency -s "$work/bodies.lua" \
        "http://127.0.0.1:$port" >"$work/$name.wrk" &
    local wrk_pid=$!
    while kill -0 "$wrk_pid" 2>/dev/null; do
        rss=$(rss_of "$pid"); [ "$rss" -gt "$peak" ] && peak=$rss
        sleep 1
    done
    wait "$wrk_pid"
    local end_rss
    end_rss=$(rss_of "$pid")
    python3 - "$name" "$work/$name.wrk" "$start_rss" "$peak" "$end_rss" >>"$work/rows.jsonl" <<'PY'
import json, re, sys
name, path, start, peak, end = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
text = open(path).read()
def seconds(value, unit):
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
def percentile(p):
    m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    return seconds(*m.groups()) * 1000 if m else float("nan")
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
requests = re.search(r"(\d+) requests in", text)
print(json.dumps({"name": name, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
                  "p50": percentile(50), "p99": percentile(99), "requests": int(requests.group(1)),
                  "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
                  "peak_mib": peak / 1024, "start_mib": start / 1024, "end_mib": end / 1024}))
PY
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

rm -f "$work/rows.jsonl"
port=18080
"$recur" serve --model "mr=$run" --port $port --device "$device" 2>"$work/recur-serve.log" &
measure "recur serve ($device)" $port $!

OMP_NUM_THREADS=2 "$venv/bin/python" scripts/serve_torch_twin.py "$run" --port $((port + 1)) --threads 2 \
    2>"$work/flask.log" >&2 &
measure "Flask threaded + PyTorch (2 threads)" $((port + 1)) $!

(cd scripts && OMP_NUM_THREADS=1 exec "$venv/bin/gunicorn" -w 2 -b "127.0.0.1:$((port + 2))" --log-level warning \
    "serve_torch_twin:create_app('$run', 1)" 2>"$work/gunicorn.log") &
measure "gunicorn 2 workers + PyTorch (1 thread each)" $((port + 2)) $!

python3 - "$work/rows.jsonl" "$seconds" "$connections" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
best = max(rows[1:], key=lambda r: r["rps"])
print(f"\n{sys.argv[2]} s per runner, {sys.argv[3]} connections, one MR sentence per request; ratios against {best['name']}\n")
print("| server | requests/s | p50 ms | p99 ms | requests | errors | peak RSS MiB | RSS start -> end MiB | requests/s ratio | p99 ratio |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['name']} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['requests']:,} | {r['errors']} | "
          f"{r['peak_mib']:.0f} | {r['start_mib']:.0f} -> {r['end_mib']:.0f} | {r['rps'] / best['rps']:.2f}x | "
          f"{r['p99'] / best['p99']:.2f}x |")
PY
