#!/usr/bin/env bash
# Back to back: the bare-Kestrel ceiling, AiServe built from BASE_REF (default main), AiServe built from the working
# tree, and the latter with its request line off (nolog), all four up at once (Production environment, 127.0.0.1 only); iris rest-json batch 1 at c16 and c64,
# ROUNDS rounds, the servers' bench runs alternating in each round; then infer/s per round, the medians, and the
# ratios to the ceiling. The servers' stdout (the request log) goes to files in OUT_DIR.
#   bash tests/AiServe.Benchmarks/request-log-ab.sh [OUT_DIR] [ROUNDS] [BASE_REF] [FIRST_PORT]
# On a shared machine, hold the benchmark lock while it runs:
#   flock /tmp/aiserve-bench.lock -c 'bash tests/AiServe.Benchmarks/request-log-ab.sh /tmp/ab 3 main 18600'
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/aiserve-request-log-ab}; ROUNDS=${2:-3}; BASE=${3:-main}; PORT=${4:-18600}
REPO=$OUT/repo; BASE_SRC=$OUT/base-src
mkdir -p "$OUT"; rm -rf "$REPO"; mkdir -p "$REPO"; cp -r models/iris "$REPO"/
# The base build is kept between runs of the script (same OUT_DIR and commit), so a re-run under the lock is quick.
if [ "$(cat "$BASE_SRC/.commit" 2>/dev/null)" != "$(git rev-parse "$BASE")" ]; then
  rm -rf "$BASE_SRC"; mkdir -p "$BASE_SRC"; git archive "$BASE" | tar -x -C "$BASE_SRC"
  dotnet build "$BASE_SRC/src/AiServe.Server" -c Release -v q -nologo >/dev/null
  git rev-parse "$BASE" >"$BASE_SRC/.commit"
fi
git rev-parse HEAD >"$OUT/head-commit"; git status --short >"$OUT/head-status"
dotnet build src/AiServe.Server -c Release -v q -nologo >/dev/null
dotnet build src/AiServe.Bench -c Release -v q -nologo >/dev/null
dotnet build tests/AiServe.Benchmarks -c Release -v q -nologo >/dev/null

pids=()
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
trap 'stop_servers "$OUT" "${pids[@]}"' EXIT
wait_port_free "$PORT" $((PORT + 1)) $((PORT + 2)) $((PORT + 3))
tests/AiServe.Benchmarks/bin/Release/net10.0/AiServe.Benchmarks ceiling --urls "http://127.0.0.1:$PORT" --models "$REPO" >"$OUT/ceiling.log" 2>&1 & pids+=($!)
ASPNETCORE_ENVIRONMENT=Production "$BASE_SRC/src/AiServe.Server/bin/Release/net10.0/AiServe.Server" \
  --urls "http://127.0.0.1:$((PORT + 1))" --models "$REPO" >"$OUT/base.log" 2>&1 & pids+=($!)
ASPNETCORE_ENVIRONMENT=Production src/AiServe.Server/bin/Release/net10.0/AiServe.Server \
  --urls "http://127.0.0.1:$((PORT + 2))" --models "$REPO" >"$OUT/new.log" 2>&1 & pids+=($!)
# The working tree's server with the request line off (its logger at Warning): what the line still costs.
ASPNETCORE_ENVIRONMENT=Production src/AiServe.Server/bin/Release/net10.0/AiServe.Server \
  --urls "http://127.0.0.1:$((PORT + 3))" --models "$REPO" \
  --Serilog:MinimumLevel:Override:Serilog.AspNetCore.RequestLoggingMiddleware=Warning >"$OUT/nolog.log" 2>&1 & pids+=($!)
echo "servers: ${pids[*]}"
for port in $PORT $((PORT + 1)) $((PORT + 2)) $((PORT + 3)); do
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break; sleep 1; done
done

for round in $(seq "$ROUNDS"); do
  for x in ceiling:$PORT base:$((PORT + 1)) new:$((PORT + 2)) nolog:$((PORT + 3)); do
    echo "== ${x%%:*} round $round"
    src/AiServe.Bench/bin/Release/net10.0/aiserve-bench --url "http://127.0.0.1:${x#*:}" --model iris --protocol rest-json \
      --concurrency 16,64 --duration 5 --warmup 2 --out "$OUT/${x%%:*}-$round" | tail -n 3 | grep -v '^wrote'
  done
done

python3 - "$OUT" "$ROUNDS" <<'EOF'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
res = {}
names = ("ceiling", "base", "new", "nolog")
for name in names:
    for r in range(1, rounds + 1):
        for step in json.load(open(f"{out}/{name}-{r}.json"))["steps"]:
            res.setdefault((name, step["concurrency"]), []).append(step["inferences_per_second"])
print("| concurrency | server | " + " | ".join(f"round {r}" for r in range(1, rounds + 1)) + " | median | median / ceiling |")
print("|---|---|" + "---:|" * (rounds + 2))
for c in sorted({c for _, c in res}):
    ceiling = statistics.median(res[("ceiling", c)])
    for name in names:
        v = res[(name, c)]
        cells = " | ".join(f"{x:,.0f} ({x / res[('ceiling', c)][i]:.2f})" if name != "ceiling" else f"{x:,.0f}" for i, x in enumerate(v))
        print(f"| {c} | {name} | {cells} | {statistics.median(v):,.0f} | {statistics.median(v) / ceiling:.2f} |")
EOF
