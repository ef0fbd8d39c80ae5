#!/usr/bin/env bash
# Configurations side by side: one server per NAME=REPO[|ENV] argument, all up at once (idle but for the one being
# driven), each driven in turn with aiserve-bench, ROUNDS rounds interleaved so that a slow phase of the machine hits
# every variant of a round alike. Prints "rN NAME cC infer/s p99 ms" per step, then each server's RSS.
#   bash tests/AiServe.Benchmarks/config-ab.sh OUT_DIR ROUNDS MODEL CONCURRENCY NAME=REPO[|ENV=VALUE ...] ...
# A NAME starting with "ceiling" runs the bare-Kestrel ceiling; a NAME starting with "base" runs the server in BASE_DLL
# (another build, e.g. of a git worktree), one starting with "baseceiling" the ceiling in BASE_CEILING_DLL (that
# build's AiServe.Benchmarks.dll); every other NAME the Release build of this tree. ENV is the server's
# environment (e.g. "models|AiServe__Onnx__AllowSpinning=true"). DURATION (default 5 s) is each step's length;
# BENCH_ARGS adds aiserve-bench options (e.g. "--protocol rest-binary"); ORDER=alternate drives the servers in reverse
# order in even rounds (default: argument order in every round). Server output goes to OUT_DIR/NAME.err
# (standard error only: the request log on standard output would grow by gigabytes). Ends with the medians over the
# rounds (OUT_DIR/medians.txt): each server's infer/s and its per-round ratio to a reference server (RATIO_TO, by
# default the first "ceiling*" NAME, else the first NAME). Builds must be current.
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
order=("${!names[@]}"); reversed=()
for ((i = ${#names[@]} - 1; i >= 0; i--)); do reversed+=("$i"); done
for r in $(seq "$ROUNDS"); do
  # ORDER=alternate drives the servers in reverse order in even rounds, so that no server always follows the same one.
  steps=("${order[@]}")
  [[ ${ORDER:-} == alternate && $((r % 2)) == 0 ]] && steps=("${reversed[@]}")
  for i in "${steps[@]}"; do
    # shellcheck disable=SC2086
    "$BENCH" --url "http://127.0.0.1:${ports[$i]}" --model "$MODEL" --concurrency "$CONC" --duration "${DURATION:-5}" --warmup 1 ${BENCH_ARGS:-} \
      | grep -E "^ +[0-9]+ +[0-9]+ " | awk -v n="${names[$i]}" -v r="$r" '{print "r" r, n, "c" $1, $4, "infer/s p99", $7, "ms"}'
  done
done | tee "$OUT/results.txt"
for i in "${!names[@]}"; do echo "rss ${names[$i]} $(awk '/VmRSS/ {print $2}' "/proc/${pids[$i]}/status") kB"; done
# Medians over the rounds: each server's infer/s, and its infer/s over the reference server's in the same round (the
# reference: RATIO_TO if set, else the first NAME starting with "ceiling", else the first NAME).
ref=${RATIO_TO:-}
if [[ -z $ref ]]; then
  for n in "${names[@]}"; do [[ $n == ceiling* ]] && { ref=$n; break; }; done
  ref=${ref:-${names[0]}}
fi
python3 - "$OUT/results.txt" "$ref" "${names[@]}" <<'PY' | tee "$OUT/medians.txt"
import re, statistics, sys
path, ref, names = sys.argv[1], sys.argv[2], sys.argv[3:]
v = {}
for line in open(path):
    m = re.match(r"(r\d+) (\S+) (c\d+) ([\d.]+) infer/s", line)
    if m:
        v[(m[1], m[2], m[3])] = float(m[4])
for c in sorted({k[2] for k in v}, key=lambda c: int(c[1:])):
    for n in names:
        own = [x for (r, name, cc), x in v.items() if name == n and cc == c]
        ratios = sorted(x / v[(r, ref, c)] for (r, name, cc), x in v.items()
                        if name == n and cc == c and v.get((r, ref, c)))
        if not own:
            continue
        text = f"median {n} {c}: {statistics.median(own):.0f} infer/s"
        if n != ref and ratios:
            above = sum(x >= 1 for x in ratios)
            text += (f"; / {ref} per round: median {statistics.median(ratios):.3f}"
                     f" ({' '.join(f'{x:.2f}' for x in ratios)}; {above} of {len(ratios)} >= 1)")
        print(text)
PY
