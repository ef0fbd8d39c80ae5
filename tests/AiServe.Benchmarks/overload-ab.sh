#!/usr/bin/env bash
# Target 7 in interleaved rounds: servers up at once on the queue-limited wide repository of soak-and-overload.sh
# (wide with dynamic_batching.max_queue_size 8), each driven in turn (the first of a round rotates), ROUNDS rounds;
# per step the accepted requests' infer/s and p99, and the refusals' (429) count, p50 and p99; then each variant's
# medians. One NAME[|ENV=VALUE ...] per server: a NAME starting with "ceiling" runs the bare-Kestrel ceiling (it
# answers every request: its latency is this machine's floor at that load), any other the Release build of this tree
# with that environment. LOAD (default open loop, "--request-rate 8000 --max-outstanding 256") is the aiserve-bench
# load, e.g. LOAD="--concurrency 256" for closed loop; steps of 2 s warm-up + 5 s. Builds must be current.
#   bash tests/AiServe.Benchmarks/overload-ab.sh OUT_DIR ROUNDS NAME[|ENV=VALUE ...] ...
#   bash tests/AiServe.Benchmarks/overload-ab.sh /tmp/ov 8 aiserve "more-threads|DOTNET_ThreadPool_ForceMinWorkerThreads=8" ceiling
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=$1; ROUNDS=$2; shift 2
LOAD=${LOAD:---request-rate 8000 --max-outstanding 256}
BENCH=src/AiServe.Bench/bin/Release/net10.0/aiserve-bench
REPO=$OUT/repo-queue
mkdir -p "$OUT"; rm -rf "$REPO"; mkdir -p "$REPO"
cp -r tests/fixtures/repos/perf/wide "$REPO"/
python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["dynamic_batching"]={"max_queue_size": 8}; json.dump(c, open(p,"w"), indent=2)' "$REPO/wide/model.json"
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
port=${FIRST_PORT:-18790}; names=(); ports=(); pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT
for spec in "$@"; do
  name=${spec%%|*}; envs=()
  [[ $spec == *"|"* ]] && read -r -a envs <<<"${spec#*|}"
  start_variant "$OUT" "$name" "$port" "$REPO" "${envs[@]}"
  pids+=($!); names+=("$name"); ports+=("$port"); port=$((port + 1))
done
wait_ready "${ports[@]}"
for p in "${ports[@]}"; do "$BENCH" --url "http://127.0.0.1:$p" --model wide --concurrency 16 --duration 3 --warmup 1 >/dev/null; done
n=${#names[@]}
for r in $(seq "$ROUNDS"); do
  for k in $(seq 0 $((n - 1))); do
    i=$(((k + r) % n))
    # shellcheck disable=SC2086
    "$BENCH" --url "http://127.0.0.1:${ports[$i]}" --model wide $LOAD --duration 5 --warmup 2 --out "$OUT/r$r-${names[$i]}" >/dev/null
    python3 - "$OUT/r$r-${names[$i]}.json" "r$r" "${names[$i]}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["steps"][0]
e = s["error_latency"].get("429", {})
print(sys.argv[2], sys.argv[3], "ok %.0f infer/s p99 %.1f ms; 429 %d p50 %.1f p99 %.1f ms; not-sent %d" % (
    s["inferences_per_second"], s["latency"]["p99_ms"], e.get("count", 0), e.get("p50_ms", 0), e.get("p99_ms", 0),
    s["errors"].get("not-sent", 0)))
PY
  done
done | tee "$OUT/results.txt"
python3 - "$OUT/results.txt" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"r\d+ (\S+) ok (\d+) infer/s p99 ([\d.]+) ms; 429 (\d+) p50 ([\d.]+) p99 ([\d.]+)", line)
    if m:
        rows.setdefault(m[1], []).append(tuple(float(x) for x in m.groups()[1:]))
for name, r in rows.items():
    med = lambda k: statistics.median(x[k] for x in r)
    print(f"median {name}: ok {med(0):.0f} infer/s p99 {med(1):.1f} ms; 429 p50 {med(3):.1f} p99 {med(4):.1f} ms ({len(r)} rounds)")
PY
