#!/usr/bin/env bash
# Server CPU time per request: starts one server (AiServe, or the bare-Kestrel ceiling), warms it up, then runs one
# closed-loop aiserve-bench step and divides the server process's CPU time (utime + stime from /proc/PID/stat) over
# that step by the requests answered, and its threads' context switches (/proc/PID/task/*/status) likewise. Unlike
# throughput, this does not count the load generator's share of the cores; that share is printed too: the
# generator's CPU per request, from its user + system time in the step less that of a 1 s step (its start-up).
#   bash tests/AiServe.Benchmarks/server-cpu.sh KIND REPO MODEL CONCURRENCY DURATION_S [NAME=VALUE ...]
# KIND: aiserve or ceiling. NAME=VALUE: environment for the server (e.g. DOTNET_gcServer=0). BENCH_ARGS in the
# environment adds aiserve-bench options (e.g. BENCH_ARGS="--batch 8"). Builds must be current (Release).
set -euo pipefail
cd "$(dirname "$0")/../.."
KIND=$1; REPO=$2; MODEL=$3; CONC=$4; DUR=$5; shift 5
PORT=${PORT:-18641}
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
wait_port_free "$PORT"
if [ "$KIND" = ceiling ]; then
  env "$@" dotnet tests/AiServe.Benchmarks/bin/Release/net10.0/AiServe.Benchmarks.dll ceiling --urls "http://127.0.0.1:$PORT" --models "$REPO" >/dev/null 2>&1 &
else
  env "$@" dotnet src/AiServe.Server/bin/Release/net10.0/AiServe.Server.dll --urls "http://127.0.0.1:$PORT" --models "$REPO" >/dev/null 2>&1 &
fi
SP=$!
trap 'kill $SP 2>/dev/null || true' EXIT
wait_ready "$PORT"
BENCH=src/AiServe.Bench/bin/Release/net10.0/aiserve-bench
# shellcheck disable=SC2086
"$BENCH" --url "http://127.0.0.1:$PORT" --model "$MODEL" --concurrency "$CONC" --duration 6 --warmup 1 ${BENCH_ARGS:-} >/dev/null
# user and system ticks, and the voluntary and involuntary context switches summed over the server's threads
cpu() { awk '{print $14, $15}' "/proc/$SP/stat"; }
switches() { cat /proc/"$SP"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {print v, n}'; }
# One step of DURATION seconds: sets LINE (the step's result line) and GEN (the generator's CPU seconds, start-up included).
step() {
  local out; out=$(mktemp)
  # shellcheck disable=SC2086
  GEN=$( { TIMEFORMAT='%U %S'; time "$BENCH" --url "http://127.0.0.1:$PORT" --model "$MODEL" --concurrency "$CONC" --duration "$1" --warmup 0 ${BENCH_ARGS:-} >"$out"; } 2>&1 | awk '{print $1 + $2}')
  LINE=$(grep "concurrency  " "$out" | head -1); rm -f "$out"
}
requests() { echo "$1" | grep -o '[0-9]* ok' | grep -o '[0-9]*'; }
step 1; GEN_SHORT=$GEN; N_SHORT=$(requests "$LINE")
read -r u0 s0 <<<"$(cpu)"; read -r v0 n0 <<<"$(switches)"
step "$DUR"
read -r u1 s1 <<<"$(cpu)"; read -r v1 n1 <<<"$(switches)"
TICK=$(getconf CLK_TCK)
N=$(requests "$LINE")
GEN_US=$(awk -v a="$GEN" -v b="$GEN_SHORT" -v n="$N" -v m="$N_SHORT" 'BEGIN {printf "%.1f", (a - b) * 1000000 / (n - m)}')
echo "$KIND $MODEL c$CONC: $(echo "$LINE" | awk '{print $3}') infer/s, $N requests, server CPU $(( (u1 + s1 - u0 - s0) * 1000000 / TICK / N )) us/request" \
  "(user $(( (u1 - u0) * 1000000 / TICK / N )), system $(( (s1 - s0) * 1000000 / TICK / N ))), context switches per 100 requests" \
  "$(( (v1 - v0) * 100 / N )) voluntary, $(( (n1 - n0) * 100 / N )) involuntary, RSS $(awk '/VmRSS/ {print $2}' "/proc/$SP/status") kB;" \
  "load generator CPU $GEN_US us/request"
