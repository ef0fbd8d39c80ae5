#!/usr/bin/env python3
"""The tables of docs/PERFORMANCE.md from one run of http-sweep.sh, and the ratios of issue 3's targets.

    python3 tests/AiServe.Benchmarks/sweep-tables.py OUT_DIR NAME   (NAME heads each table: "#### iris, NAME")

OUT_DIR is http-sweep.sh's output folder: aiserve-bench's JSON per step (MODEL-bBATCH-SERVER-PROTOCOL.json) and, when
the sweep ran the in-process yardstick, BenchmarkDotNet's JSON report under OUT_DIR/onnxrun/results. Only the standard
library: any Python 3 runs it.
"""
import glob
import json
import os
import sys

ROWS = [
    ("ceiling-json", "bare-Kestrel ceiling, JSON"),
    ("ceilingrun-json", "the ceiling running the model, JSON"),
    ("on-json", "AiServe REST JSON, batching on"),
    ("off-json", "AiServe REST JSON, batching off"),
    ("on-binary", "AiServe REST binary, batching on"),
    ("off-binary", "AiServe REST binary, batching off"),
]
CONCURRENCY = (1, 16, 64)


def steps(out, model, batch, key):
    path = os.path.join(out, f"{model}-b{batch}-{key}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return {s["concurrency"]: s for s in json.load(f)["steps"]}


def cell(step):
    errors = sum(step["errors"].values())
    lat = step["latency"]
    return f"{step['inferences_per_second']:,.0f} / {lat['p50_ms']:.2f} / {lat['p99_ms']:.2f} / {errors}"


def ips(out, model, batch, key, conc):
    table = steps(out, model, batch, key)
    return table[conc]["inferences_per_second"] if table and conc in table else None


def onnx_runs(out):
    """{(model, batch, callers): (ns per run, bytes per run)} from BenchmarkDotNet's full JSON report."""
    runs = {}
    for path in glob.glob(os.path.join(out, "onnxrun", "results", "*OnnxRun*-report-full*.json")):
        with open(path) as f:
            report = json.load(f)
        for bench in report["Benchmarks"]:
            params = dict(p.split("=", 1) for p in bench["Parameters"].split("&"))
            stats = bench.get("Statistics")
            if not stats:
                continue
            memory = bench.get("Memory") or {}
            runs[(params["Model"], int(params["Batch"]), int(params["Callers"]))] = (
                stats["Median"], memory.get("BytesAllocatedPerOperation"))
    return runs


def onnx_table(runs, model):
    batches = sorted({b for (m, b, _) in runs if m == model})
    if not batches:
        return
    print("| in-process ONNX Runtime run | " + " | ".join(f"batch {b}: µs per run / infer/s" for b in batches) + " |")
    print("|---|" + "---:|" * len(batches))
    for callers in sorted({c for (m, _, c) in runs if m == model}):
        cells = []
        for b in batches:
            ns, _ = runs.get((model, b, callers), (None, None))
            cells.append("-" if ns is None else f"{ns / 1000:,.1f} / {b * 1e9 / ns:,.0f}")
        label = "1 caller" if callers == 1 else f"{callers} callers on one session"
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()


def ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}"


def main():
    out, name = sys.argv[1], sys.argv[2]
    runs = onnx_runs(out)
    models = [m for m in ("iris", "fashion-mnist", "wide", "wide-xl") if steps(out, m, 1, "on-json")]
    for model in models:
        print(f"#### {model}, {name}\n")
        onnx_table(runs, model)
        for batch in (1, 8):
            present = [(k, label, steps(out, model, batch, k)) for k, label in ROWS]
            present = [p for p in present if p[2]]
            if not present:
                continue
            head = "c1: infer/s / p50 ms / p99 ms / errors" if batch == 1 else "c1"
            print(f"| batch {batch} | {head} | c16 | c64 |\n|---|---:|---:|---:|")
            for _, label, table in present:
                print(f"| {label} | " + " | ".join(cell(table[c]) if c in table else "-" for c in CONCURRENCY) + " |")
            print()

    print("ratios:")
    i = lambda batch, key, conc, model="iris": ips(out, model, batch, key, conc)
    print(f"1 iris on/ceiling c16 {ratio(i(1, 'on-json', 16), i(1, 'ceiling-json', 16))} c64 {ratio(i(1, 'on-json', 64), i(1, 'ceiling-json', 64))};"
          f" off c16 {ratio(i(1, 'off-json', 16), i(1, 'ceiling-json', 16))} c64 {ratio(i(1, 'off-json', 64), i(1, 'ceiling-json', 64))}")
    print(f"1 iris on/running ceiling c16 {ratio(i(1, 'on-json', 16), i(1, 'ceilingrun-json', 16))} c64 {ratio(i(1, 'on-json', 64), i(1, 'ceilingrun-json', 64))};"
          f" running/fixed ceiling c16 {ratio(i(1, 'ceilingrun-json', 16), i(1, 'ceiling-json', 16))} c64 {ratio(i(1, 'ceilingrun-json', 64), i(1, 'ceiling-json', 64))}")
    fm = lambda batch, key, conc: ips(out, "fashion-mnist", batch, key, conc)
    print(f"2 fashion-mnist b1 c64 on/ceiling {ratio(fm(1, 'on-json', 64), fm(1, 'ceiling-json', 64))} (off {ratio(fm(1, 'off-json', 64), fm(1, 'ceiling-json', 64))})")
    print("3 fashion-mnist b8 on/ceiling c1/c16/c64 " + "/".join(ratio(fm(8, "on-json", c), fm(8, "ceiling-json", c)) for c in CONCURRENCY))
    print(f"4 fashion-mnist b1 c64 binary/JSON on {ratio(fm(1, 'on-binary', 64), fm(1, 'on-json', 64))} off {ratio(fm(1, 'off-binary', 64), fm(1, 'off-json', 64))}")
    for wide in ("wide", "wide-xl"):
        if not steps(out, wide, 1, "on-json"):
            continue
        parts = []
        for proto in ("json", "binary"):
            on, off = steps(out, wide, 1, f"on-{proto}"), steps(out, wide, 1, f"off-{proto}")
            if on and off and 16 in on and 16 in off:
                parts.append(f"{proto} {ratio(on[16]['inferences_per_second'], off[16]['inferences_per_second'])}x"
                             f" p99 {on[16]['latency']['p99_ms']:.1f} vs {off[16]['latency']['p99_ms']:.1f} ms"
                             f" (c64 {ratio(on[64]['inferences_per_second'], off[64]['inferences_per_second']) if 64 in on and 64 in off else 'n/a'}x)")
        print(f"5 {wide} c16 on/off: " + "; ".join(parts))


if __name__ == "__main__":
    main()
