#!/usr/bin/env bash
# REST JSON against the binary extension on one AiServe, rounds interleaved: each round drives the same server with
# both protocols in turn (JSON first in odd rounds, binary first in even ones), so that a slow phase of the machine
# hits both sides of a round alike. Prints "rN PROTOCOL cC infer/s p99 ms" per step, then each round's binary/JSON
# ratio and their median. Target 4 of issue 3 (fashion-mnist, batch 1, c64) is this script's default case.
#   bash tests/AiServe.Benchmarks/protocol-ab.sh OUT_DIR ROUNDS [MODEL] [CONCURRENCY]
# DURATION (default 10 s) is each step's length; BENCH_ARGS adds aiserve-bench options (e.g. "--batch 8"); PORT
# (default 18790) the server's port. Builds must be current (Release).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=$1; ROUNDS=$2; MODEL=${3:-fashion-mnist}; CONC=${4:-64}
PORT=${PORT:-18790}
BENCH=src/AiServe.Bench/bin/Release/net10.0/aiserve-bench
SERVER=src/AiServe.Server/bin/Release/net10.0/AiServe.Server.dll
mkdir -p "$OUT"
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
wait_port_free "$PORT"
# Standard error only: the request log on standard output would grow by gigabytes.
dotnet "$SERVER" --urls "http://127.0.0.1:$PORT" --models models >/dev/null 2>"$OUT/server.err" &
SP=$!
trap 'kill $SP 2>/dev/null || true' EXIT
wait_ready "$PORT"
step() { # PROTOCOL DURATION: aiserve-bench's result line for one step
  # shellcheck disable=SC2086
  "$BENCH" --url "http://127.0.0.1:$PORT" --model "$MODEL" --protocol "$1" --concurrency "$CONC" --duration "$2" --warmup 1 ${BENCH_ARGS:-} \
    | grep -E "^ +[0-9]+ +[0-9]+ "
}
# Warm-up (JIT, ONNX Runtime's first runs) for both protocols before any round counts.
step rest-json 3 >/dev/null; step rest-binary 3 >/dev/null
for r in $(seq "$ROUNDS"); do
  if (( r % 2 )); then order="rest-json rest-binary"; else order="rest-binary rest-json"; fi
  for p in $order; do
    step "$p" "${DURATION:-10}" | awk -v n="$p" -v r="$r" '{print "r" r, n, "c" $1, $4, "infer/s p99", $7, "ms"}'
  done
done | tee "$OUT/results.txt"
# Each round's ratio, then their median.
awk '{v[$1 " " $2] = $4; rs[$1] = 1}
     END {for (r in rs) if (v[r " rest-json"] > 0) printf "%s binary/JSON %.2f\n", r, v[r " rest-binary"] / v[r " rest-json"]}' \
  "$OUT/results.txt" | sort -V > "$OUT/ratios.txt"
awk '{print $3}' "$OUT/ratios.txt" | sort -g | awk '{q[NR] = $1} END {m = NR % 2 ? q[(NR + 1) / 2] : (q[NR / 2] + q[NR / 2 + 1]) / 2; printf "median binary/JSON %.2f over %d rounds\n", m, NR}' >> "$OUT/ratios.txt"
tee -a "$OUT/results.txt" < "$OUT/ratios.txt"
echo "rss $(awk '/VmRSS/ {print $2}' "/proc/$SP/status") kB"
