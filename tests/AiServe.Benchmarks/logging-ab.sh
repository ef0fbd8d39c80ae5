#!/usr/bin/env bash
# What the per-request log line costs: the ceiling, AiServe as configured, and AiServe with the request log
# (RequestLogMiddleware, logger category Serilog.AspNetCore.RequestLoggingMiddleware) raised to Warning, side by side; iris rest-json c16 and c64, ROUNDS
# rounds interleaved.
#   bash tests/AiServe.Benchmarks/logging-ab.sh [OUT_DIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/aiserve-perf-ab}; ROUNDS=${2:-2}; REPO=$OUT/repo
mkdir -p "$OUT"; rm -rf "$REPO"; mkdir -p "$REPO"; cp -r models/iris "$REPO"/
dotnet build src/AiServe.Server -c Release -v q -nologo >/dev/null
dotnet build src/AiServe.Bench -c Release -v q -nologo >/dev/null
dotnet build tests/AiServe.Benchmarks -c Release -v q -nologo >/dev/null
pids=()
# shellcheck source=tests/AiServe.Benchmarks/bench-lib.sh
source tests/AiServe.Benchmarks/bench-lib.sh
trap 'stop_servers "$OUT" "${pids[@]}"' EXIT
wait_port_free 18486 18487 18488
dotnet run --project tests/AiServe.Benchmarks -c Release --no-build -- ceiling --urls http://127.0.0.1:18488 --models "$REPO" >"$OUT/ceiling.log" 2>&1 & pids+=($!)
dotnet run --project src/AiServe.Server -c Release --no-build --no-launch-profile -- --urls http://127.0.0.1:18486 --models "$REPO" >"$OUT/default.log" 2>&1 & pids+=($!)
dotnet run --project src/AiServe.Server -c Release --no-build --no-launch-profile -- --urls http://127.0.0.1:18487 --models "$REPO" \
  --Serilog:MinimumLevel:Override:Serilog.AspNetCore.RequestLoggingMiddleware=Warning >"$OUT/nolog.log" 2>&1 & pids+=($!)
for port in 18486 18487 18488; do for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null && break; sleep 1; done; done
for round in $(seq "$ROUNDS"); do
  for x in ceiling:18488 default:18486 nolog:18487; do
    echo "== ${x%%:*} round $round"
    dotnet run --project src/AiServe.Bench -c Release --no-build -- --url "http://127.0.0.1:${x#*:}" --model iris \
      --concurrency 16,64 --duration 5 --warmup 2 --out "$OUT/${x%%:*}-$round" | tail -n 3 | grep -v '^wrote'
  done
done
