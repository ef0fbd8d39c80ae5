#!/usr/bin/env bash
# Two server-level checks of docs/PERFORMANCE.md:
#  1. soak: iris, rest-json, concurrency 64 for SOAK_S seconds; the server's RSS before (after warm-up) and after.
#  2. overload: wide with dynamic_batching.max_queue_size 8, concurrency 16 then 256; aiserve-bench reports the
#     latency of the accepted requests and, per error kind, of the refusals (429); then the same server open loop
#     (fixed arrival rates 2,000, 8,000 and 16,000 requests/s, at most 256 outstanding, no retries).
#  3. the yardstick for 2: the bare-Kestrel ceiling (no model, no queue, a fixed answer) with the same body at
#     concurrency 16 and 256, closed loop, then open loop at the same rates: how fast any server answers 256 clients,
#     or 8,000 requests/s, on this machine (the load generator shares its cores).
#   bash tests/AiServe.Benchmarks/soak-and-overload.sh [OUT_DIR] [SOAK_S] [STEP_S]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/aiserve-perf}; SOAK=${2:-60}; STEP=${3:-5}
SOAKREPO=$OUT/repo-soak; QREPO=$OUT/repo-queue
rm -rf "$SOAKREPO" "$QREPO"; mkdir -p "$SOAKREPO" "$QREPO"
cp -r models/iris "$SOAKREPO"/
cp -r tests/fixtures/repos/perf/wide "$QREPO"/
/usr/bin/python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["dynamic_batching"]={"max_queue_size": 8}; json.dump(c, open(p,"w"), indent=2)' "$QREPO/wide/model.json"
dotnet build src/AiServe.Server -c Release -v q -nologo >/dev/null
dotnet build src/AiServe.Bench -c Release -v q -nologo >/dev/null
dotnet build tests/AiServe.Benchmarks -c Release -v q -nologo >/dev/null

pids=()
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
trap 'stop_servers "$OUT" "${pids[@]}"' EXIT
wait_port_free 18484 18485 18486
start() { # PORT REPO LOG -> sets SERVER_PID to the server process itself (child of dotnet run)
  dotnet run --project src/AiServe.Server -c Release --no-build --no-launch-profile -- --urls "http://127.0.0.1:$1" --models "$2" >"$3" 2>&1 & pids+=($!)
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$1/v2/health/ready" >/dev/null && break; sleep 1; done
  SERVER_PID=$(pgrep -P "${pids[-1]}" | head -1)
}
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$1/status"; }
bench() { dotnet run --project src/AiServe.Bench -c Release --no-build -- "$@" | tail -n +4; }

start 18484 "$SOAKREPO" "$OUT/server-soak.log"
bench --url http://127.0.0.1:18484 --model iris --concurrency 64 --duration 5 --warmup 2 >/dev/null
echo "soak: RSS before $(rss "$SERVER_PID")"
bench --url http://127.0.0.1:18484 --model iris --concurrency 64 --duration "$SOAK" --warmup 0 --out "$OUT/soak"
echo "soak: RSS after  $(rss "$SERVER_PID")"

start 18485 "$QREPO" "$OUT/server-queue.log"
bench --url http://127.0.0.1:18485 --model wide --concurrency 16,256 --duration "$STEP" --warmup 2 --out "$OUT/overload"
bench --url http://127.0.0.1:18485 --model wide --request-rate 2000,8000,16000 --max-outstanding 256 --duration "$STEP" --warmup 2 --out "$OUT/overload-open"
kill "$SERVER_PID" 2>/dev/null || true

dotnet run --project tests/AiServe.Benchmarks -c Release --no-build -- ceiling --urls http://127.0.0.1:18486 --models "$QREPO" >"$OUT/ceiling.log" 2>&1 & pids+=($!)
for _ in $(seq 60); do curl -sf "http://127.0.0.1:18486/v2/health/ready" >/dev/null && break; sleep 1; done
bench --url http://127.0.0.1:18486 --model wide --concurrency 16,256 --duration "$STEP" --warmup 2 --out "$OUT/overload-ceiling"
bench --url http://127.0.0.1:18486 --model wide --request-rate 2000,8000,16000 --max-outstanding 256 --duration "$STEP" --warmup 2 --out "$OUT/overload-ceiling-open"
