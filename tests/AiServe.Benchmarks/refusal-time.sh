#!/usr/bin/env bash
# Target 7 seen from inside the server: how long AiServe itself spends on a refused (429) request, against the
# latency its client measures. One server on the queue-limited wide repository of soak-and-overload.sh (wide with
# dynamic_batching.max_queue_size 8), its request log kept; for each load, a warm-up step, then one measured step;
# per step, from the client (aiserve-bench) the refusals' and accepted requests' p50/p99, and from the server's request
# log (its "Elapsed": from the request-log middleware's start, after Kestrel has read the request line and headers and
# a pool thread has picked the request up, to the end of the response) the same percentiles per status code. The
# difference is time the request spent outside AiServe's code: in the socket queues, Kestrel's parsing and the
# thread pool's queue, which the bare-Kestrel ceiling pays too. Builds must be current (Release).
#   bash tests/AiServe.Benchmarks/refusal-time.sh OUT_DIR [STEP_S] [LOAD ...]
# LOAD: aiserve-bench load options, one quoted argument per step; default closed loop at c256 and open loop at
# 8,000 requests/s (at most 256 outstanding).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$1; STEP=${2:-5}; shift $(($# >= 2 ? 2 : 1))
loads=("$@")
[ ${#loads[@]} -gt 0 ] || loads=("--concurrency 256" "--request-rate 8000 --max-outstanding 256")
BENCH=src/AiServe.Bench/bin/Release/net10.0/aiserve-bench
PORT=${PORT:-18495}
REPO=$OUT/repo-queue
mkdir -p "$OUT"; rm -rf "$REPO"; mkdir -p "$REPO"
cp -r tests/fixtures/repos/perf/wide "$REPO"/
/usr/bin/python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["dynamic_batching"]={"max_queue_size": 8}; json.dump(c, open(p,"w"), indent=2)' "$REPO/wide/model.json"
LOG=$OUT/server.log
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
wait_port_free "$PORT"
dotnet src/AiServe.Server/bin/Release/net10.0/AiServe.Server.dll --urls "http://127.0.0.1:$PORT" --models "$REPO" >"$LOG" 2>"$OUT/server.err" &
SP=$!
trap 'stop_servers "$OUT" "$SP"' EXIT # also keeps only the end of the request log, which grows by tens of megabytes a step
wait_ready "$PORT"
"$BENCH" --url "http://127.0.0.1:$PORT" --model wide --concurrency 16 --duration 3 --warmup 1 >/dev/null
i=0
for load in "${loads[@]}"; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  "$BENCH" --url "http://127.0.0.1:$PORT" --model wide $load --duration 2 --warmup 0 >/dev/null
  sleep 1
  first=$(($(wc -l <"$LOG") + 1))
  # shellcheck disable=SC2086
  "$BENCH" --url "http://127.0.0.1:$PORT" --model wide $load --duration "$STEP" --warmup 0 --out "$OUT/step$i" >/dev/null
  sleep 1
  tail -n +"$first" "$LOG" >"$OUT/step$i.log"
  /usr/bin/python3 - "$OUT/step$i.json" "$OUT/step$i.log" "$load" <<'PY'
import json, sys

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs))) - 1))] if xs else float("nan")

step = json.load(open(sys.argv[1]))["steps"][0]
print(f"load: {sys.argv[3]}")
lat, refused = step["latency"], step["error_latency"].get("429", {})
print(f"  client: accepted {step['inferences_per_second']:.0f} infer/s, p50 {lat['p50_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms;"
      f" 429 x {refused.get('count', 0)}, p50 {refused.get('p50_ms', 0):.2f} ms, p99 {refused.get('p99_ms', 0):.2f} ms")
by_status = {}
for line in open(sys.argv[2]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if "Elapsed" in e and e.get("RequestPath", "").endswith("/infer"):
        by_status.setdefault(e["StatusCode"], []).append(e["Elapsed"])
for status, xs in sorted(by_status.items()):
    print(f"  server: {status} x {len(xs)}, p50 {pct(xs, 50):.3f} ms, p90 {pct(xs, 90):.3f} ms, p99 {pct(xs, 99):.3f} ms, max {max(xs):.3f} ms")
PY
  rm -f "$OUT/step$i.log"
done | tee "$OUT/results.txt"
