#!/usr/bin/env bash
# Load test, side by side on one model: wrk against `recur serve` and against the same model in Flask + PyTorch
# (scripts/serve_torch_twin.py: Flask's threaded server, and gunicorn with 2 workers), with the same texts.
# Prints requests/s, p50/p99 latency, errors, peak RSS, RSS growth over the run, and ratios to the best Flask row.
#
#   scripts/bench-serve.sh [RUN]         # default: trains an LSTM on MR (rt-polarity, ../shared/data) first
#
# Environment: BENCH_SECONDS (default 120) per server, in BENCH_ROUNDS (default 4) alternating rounds, BENCH_CONNECTIONS (default 16), RECUR_DEVICE (default cpu),
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

# The three servers run side by side (an idle one costs nothing); wrk visits them in turn, BENCH_ROUNDS rounds of
# BENCH_SECONDS / BENCH_ROUNDS each, so a slow phase of a shared machine hits them alike.
rounds="${BENCH_ROUNDS:-4}"
round_seconds=$((seconds / rounds))
names=() ports=() pids=()
start_server() { names+=("$1"); ports+=("$2"); pids+=("$3"); }
port=18080
"$recur" serve --model "mr=$run" --port $port --device "$device" 2>"$work/recur-serve.log" &
start_server "recur serve ($device)" $port $!
OMP_NUM_THREADS=2 "$venv/bin/python" scripts/serve_torch_twin.py "$run" --port $((port + 1)) --threads 2 \
    2>"$work/flask.log" >&2 &
start_server "Flask threaded + PyTorch (2 threads)" $((port + 1)) $!
(cd scripts && OMP_NUM_THREADS=1 exec "$venv/bin/gunicorn" -w 2 -b "127.0.0.1:$((port + 2))" --log-level warning \
    "serve_torch_twin:create_app('$run', 1)" 2>"$work/gunicorn.log") &
start_server "gunicorn 2 workers + PyTorch (1 thread each)" $((port + 2)) $!
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

rm -f "$work"/*.wrk "$work/rows.jsonl"
declare -A start_rss peak_rss round_rss
for i in "${!names[@]}"; do
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:${ports[$i]}/readyz" >/dev/null && break; sleep 0.1; done
    wrk -t1 -c"$connections" -d5s -s "$work/bodies.lua" "http://127.0.0.1:${ports[$i]}" >/dev/null  # warm-up
    start_rss[$i]=$(rss_of "${pids[$i]}")
    peak_rss[$i]=${start_rss[$i]}
done
for round in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
        wrk -t1 -c"$connections" -d"${round_seconds}s" --timeout 10s --latency -s "$work/bodies.lua" \
            "http://127.0.0.1:${ports[$i]}" >"$work/$i.$round.wrk" &
        wrk_pid=$!
        while kill -0 "$wrk_pid" 2>/dev/null; do
            rss=$(rss_of "${pids[$i]}"); [ "$rss" -gt "${peak_rss[$i]}" ] && peak_rss[$i]=$rss
            sleep 1
        done
        wait "$wrk_pid"
        round_rss[$i]="${round_rss[$i]:-}$(( $(rss_of "${pids[$i]}") / 1024 )) "
    done
done
for i in "${!names[@]}"; do
    python3 - "${names[$i]}" "${start_rss[$i]}" "${peak_rss[$i]}" "$(rss_of "${pids[$i]}")" "${round_rss[$i]}" "$work/$i".*.wrk \
        >>"$work/rows.jsonl" <<'PY'
import json, re, statistics, sys
name, start, peak, end, by_round, paths = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5].split(), sys.argv[6:]
def seconds(value, unit):
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
rounds = []
for path in paths:
    text = open(path).read()
    def percentile(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        return seconds(*m.groups()) * 1000 if m else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    took = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    rounds.append({"requests": int(took.group(1)), "seconds": seconds(took.group(2), took.group(3)),
                   "p50": percentile(50), "p99": percentile(99),
                   "errors": sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
                             + (int(non2xx.group(1)) if non2xx else 0)})
requests = sum(r["requests"] for r in rounds)
print(json.dumps({"name": name, "rps": requests / sum(r["seconds"] for r in rounds), "requests": requests,
                  "p50": statistics.median(r["p50"] for r in rounds), "p99": max(r["p99"] for r in rounds),
                  "errors": sum(r["errors"] for r in rounds),
                  "peak_mib": peak / 1024, "start_mib": start / 1024, "end_mib": end / 1024, "rounds_mib": by_round}))
PY
done

python3 - "$work/rows.jsonl" "$seconds" "$connections" "$rounds" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
best = max(rows[1:], key=lambda r: r["rps"])
print(f"\n{sys.argv[2]} s per server in {sys.argv[4]} alternating rounds (p50: median round, p99: worst round), "
      f"{sys.argv[3]} connections, one MR sentence per request; ratios against {best['name']}\n")
print("| server | requests/s | p50 ms | p99 ms | requests | errors | peak RSS MiB | RSS MiB: start, after each round | requests/s ratio | p99 ratio |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['name']} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['requests']:,} | {r['errors']} | "
          f"{r['peak_mib']:.0f} | {r['start_mib']:.0f}, {', '.join(r['rounds_mib'])} | {r['rps'] / best['rps']:.2f}x | "
          f"{r['p99'] / best['p99']:.2f}x |")
PY
