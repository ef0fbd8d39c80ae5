#!/usr/bin/env bash
# Configurations side by side: one server per NAME=REPO[|ENV] argument, all up at once (idle but for the one being
# driven), each driven in turn with aiserve-bench, ROUNDS rounds interleaved so that a slow phase of the machine hits
# every variant of a round alike. Prints "rN NAME cC infer/s p99 ms" per step, then each server's RSS.
#   bash tests/AiServe.Benchmarks/config-ab.sh OUT_DIR ROUNDS MODEL CONCURRENCY NAME=REPO[|ENV=VALUE ...] ...
# A NAME starting with "ceiling" runs the bare-Kestrel ceiling; a NAME starting with "base" runs the server in BASE_DLL
# (another build, e.g. of a git worktree), one starting with "baseceiling" the ceiling in BASE_CEILING_DLL (that
# build's AiServe.Benchmarks.dll); every other NAME the Release build of this tree. ENV is the server's
# environment (e.g. "models|AiServe__Onnx__AllowSpinning=true"). DURATION (default 5 s) is each step's length;
# BENCH_ARGS adds aiserve-bench options (e.g. "--protocol rest-binary"). Server output goes to OUT_DIR/NAME.err
# (standard error only: the request log on standard output would grow by gigabytes). Builds must be current.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=$1; ROUNDS=$2; MODEL=$3; CONC=$4; shift 4
BENCH=src/AiServe.Bench/bin/Release/net10.0/aiserve-bench
mkdir -p "$OUT"
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
port=${FIRST_PORT:-18750}; names=(); ports=(); pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT
for spec in "$@"; do
  name=${spec%%=*}; rest=${spec#*=}; repo=${rest%%|*}; envs=()
  [[ $rest == *"|"* ]] && read -r -a envs <<<"${rest#*|}"
  start_variant "$OUT" "$name" "$port" "$repo" "${envs[@]}"
  pids+=($!); names+=("$name"); ports+=("$port"); port=$((port + 1))
done
wait_ready "${ports[@]}"
# Warm every server up (JIT, ONNX Runtime's first runs) before any round counts.
for p in "${ports[@]}"; do "$BENCH" --url "http://127.0.0.1:$p" --model "$MODEL" --concurrency 16 --duration 3 --warmup 1 >/dev/null; done
for r in $(seq "$ROUNDS"); do
  for i in "${!names[@]}"; do
    # shellcheck disable=SC2086
    "$BENCH" --url "http://127.0.0.1:${ports[$i]}" --model "$MODEL" --concurrency "$CONC" --duration "${DURATION:-5}" --warmup 1 ${BENCH_ARGS:-} \
      | grep -E "^ +[0-9]+ +[0-9]+ " | awk -v n="${names[$i]}" -v r="$r" '{print "r" r, n, "c" $1, $4, "infer/s p99", $7, "ms"}'
  done
done | tee "$OUT/results.txt"
for i in "${!names[@]}"; do echo "rss ${names[$i]} $(awk '/VmRSS/ {print $2}' "/proc/${pids[$i]}/status") kB"; done
