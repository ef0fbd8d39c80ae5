#!/usr/bin/env bash
# The HTTP comparison of docs/PERFORMANCE.md, in one run so that every row shares the machine's state.
# Starts four servers side by side (AiServe with dynamic batching on, AiServe with it off, the bare-Kestrel
# ceiling, and the same ceiling running the models with ONNX Runtime's plain API: the "ceilingrun" rows, batch-1 JSON
# only), then drives each with aiserve-bench, model by model, back to back.
#   bash tests/AiServe.Benchmarks/http-sweep.sh [OUT_DIR] [DURATION_S] [WARMUP_S] [CONCURRENCY] [MODELS]
# MODELS: a space-separated subset of "iris fashion-mnist wide wide-xl" (default the first three). wide-xl's
# model.onnx (71 MB) is not committed: this script makes it with tests/fixtures/repos/perf/make.py when it is missing.
# First, before any server starts, the in-process yardstick: ONNX Runtime runs of the same models at batch 1, 8 and 32
# with 1 and 2 callers (BenchmarkDotNet's OnnxRunBenchmarks, short job, about 45 s a model; ONNXRUN=0 skips it),
# into OUT_DIR/onnxrun. At the end the tables and the targets' ratios (sweep-tables.py; SWEEP_NAME heads them, by default
# OUT_DIR's name) into OUT_DIR/tables.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/aiserve-perf}; DUR=${2:-5}; WARM=${3:-2}; CONC=${4:-1,16,64}; MODELS=${5:-iris fashion-mnist wide}
ON=$OUT/repo-on; OFF=$OUT/repo-off
mkdir -p "$OUT"; rm -rf "$ON" "$OFF"; mkdir -p "$ON" "$OFF"
if [[ " $MODELS " == *" wide-xl "* && ! -f tests/fixtures/repos/perf/wide-xl/1/model.onnx ]]; then
  /usr/bin/python3 tests/fixtures/repos/perf/make.py wide-xl
fi
cp -r models/iris models/fashion-mnist tests/fixtures/repos/perf/wide "$ON"/
if [[ " $MODELS " == *" wide-xl "* ]]; then cp -r tests/fixtures/repos/perf/wide-xl "$ON"/; fi
cp -r "$ON"/. "$OFF"/
for m in $(ls "$OFF"); do
  /usr/bin/python3 -c 'import json,sys; p=sys.argv[1]; c=json.load(open(p)); c["dynamic_batching"]={"enabled": False}; json.dump(c, open(p,"w"), indent=2)' "$OFF/$m/model.json"
done

dotnet build src/AiServe.Server -c Release -v q -nologo >/dev/null
dotnet build src/AiServe.Bench -c Release -v q -nologo >/dev/null
dotnet build tests/AiServe.Benchmarks -c Release -v q -nologo >/dev/null

if [[ ${ONNXRUN:-1} != 0 ]]; then
  AISERVE_ONNXRUN_MODELS="$MODELS" dotnet tests/AiServe.Benchmarks/bin/Release/net10.0/AiServe.Benchmarks.dll \
    --filter '*OnnxRun*' --job short --exporters json --artifacts "$OUT/onnxrun" >"$OUT/onnxrun.log" 2>&1
  grep -E '^\|' "$OUT/onnxrun.log"
fi

pids=()
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
trap 'stop_servers "$OUT" "${pids[@]}"' EXIT
wait_port_free 18481 18482 18483 18484
dotnet run --project src/AiServe.Server -c Release --no-build --no-launch-profile -- --urls http://127.0.0.1:18481 --models "$ON" >"$OUT/server-on.log" 2>&1 & pids+=($!)
dotnet run --project src/AiServe.Server -c Release --no-build --no-launch-profile -- --urls http://127.0.0.1:18482 --models "$OFF" >"$OUT/server-off.log" 2>&1 & pids+=($!)
dotnet run --project tests/AiServe.Benchmarks -c Release --no-build -- ceiling --urls http://127.0.0.1:18483 --models "$ON" >"$OUT/ceiling.log" 2>&1 & pids+=($!)
dotnet run --project tests/AiServe.Benchmarks -c Release --no-build -- ceiling --urls http://127.0.0.1:18484 --models "$ON" --run-models true >"$OUT/ceilingrun.log" 2>&1 & pids+=($!)
for port in 18481 18482 18483 18484; do
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break; sleep 1; done
done

# Warm every server up on every model (JIT tiers, ONNX Runtime's first runs) before any step counts: each step's own
# warm-up is short, and the first step on a cold server (iris at c1) measured ~25 % low.
for port in 18481 18482 18483 18484; do
  for m in $MODELS; do
    dotnet run --project src/AiServe.Bench -c Release --no-build -- --url "http://127.0.0.1:$port" --model "$m" --concurrency 16 --duration 3 --warmup 1 >/dev/null
  done
done

bench() { # NAME PORT MODEL PROTOCOL BATCH
  echo "== $1"
  dotnet run --project src/AiServe.Bench -c Release --no-build -- --url "http://127.0.0.1:$2" --model "$3" --protocol "$4" --batch "$5" \
    --concurrency "$CONC" --duration "$DUR" --warmup "$WARM" --out "$OUT/$1" | tail -n +4
}

for m in $MODELS; do
  bench "$m-b1-ceiling-json" 18483 "$m" rest-json 1
  bench "$m-b1-ceilingrun-json" 18484 "$m" rest-json 1
  bench "$m-b1-on-json"      18481 "$m" rest-json 1
  bench "$m-b1-off-json"     18482 "$m" rest-json 1
  bench "$m-b1-on-binary"    18481 "$m" rest-binary 1
  bench "$m-b1-off-binary"   18482 "$m" rest-binary 1
done
if [[ " $MODELS " == *" fashion-mnist "* ]]; then
  bench "fashion-mnist-b8-ceiling-json" 18483 fashion-mnist rest-json 8
  bench "fashion-mnist-b8-on-json"      18481 fashion-mnist rest-json 8
  bench "fashion-mnist-b8-off-json"     18482 fashion-mnist rest-json 8
  bench "fashion-mnist-b8-on-binary"    18481 fashion-mnist rest-binary 8
fi
python3 tests/AiServe.Benchmarks/sweep-tables.py "$OUT" "${SWEEP_NAME:-$(basename "$OUT")}" | tee "$OUT/tables.md"
