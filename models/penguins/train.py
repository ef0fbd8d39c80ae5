#!/usr/bin/python3
"""Penguin species classifier (Palmer penguins) with a fitted tabular pipeline, exported to ONNX by hand.

Run from anywhere:  /usr/bin/python3 models/penguins/train.py
Data: Debian package r-cran-palmerpenguins (`apt-get install r-cran-palmerpenguins`), file
      /usr/lib/R/site-library/palmerpenguins/extdata/penguins.csv (344 rows, "NA" = missing). Nothing downloaded.
Writes: models/penguins/{1/model.onnx,1/pipeline.json,model.json}, tests/fixtures/penguins/pipeline.json

The preprocessing (impute -> clip -> standard scale for numerics, impute -> one-hot for categoricals) is fitted
on the training split only, written to 1/pipeline.json, and applied to training rows, held-out rows and
fixture records by ONE function (`transform_records`) that implements the pipeline.json semantics the C#
server implements. The model graph only holds the multinomial logistic regression:
    input FP32 [N, 9] -> MatMul -> Add -> Softmax -> `probabilities` FP32 [N, 3]; ArgMax -> `label` INT64 [N].
It is checked against sklearn with a numpy evaluation (float32) of exactly those four ops.
"""
import csv
import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CSV = "/usr/lib/R/site-library/palmerpenguins/extdata/penguins.csv"
SEED = 0
OPSET = 17
IR_VERSION = 8
TEST_SIZE = 0.2
CLIP_PCT = (1.0, 99.0)
TOP_K = 3
NUMERIC = [("bill_length_mm", "mean"), ("bill_depth_mm", "mean"),
           ("flipper_length_mm", "median"), ("body_mass_g", "median")]
CATEGORICAL = [("island", "error"), ("sex", "ignore")]   # (name, unknown policy)
TARGET = "species"

f32 = np.float32


def f32_json(v):
    return float(repr(np.float32(v)))


# ---------------------------------------------------------------- data
def parse_value(s):
    if s == "NA":
        return None
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            return s


def load_rows():
    with open(CSV, newline="") as f:
        rows = [{k: parse_value(v) for k, v in r.items()} for r in csv.DictReader(f)]
    return rows


# ---------------------------------------------------------------- pipeline semantics (same as the C# server)
def is_missing(v):
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and (v == "" or v.lower() == "nan"):   # as RecordFields.TryGet: " nan " is not missing
        return True
    return False


def feature_width(feat):
    if feat["type"] in ("numeric", "boolean"):
        return 1
    enc = feat["encode"]
    if enc["method"] == "ordinal":
        return 1
    return len(enc["categories"]) + (1 if enc["unknown"] == "bucket" else 0)


def transform_records(pipeline, records):
    """Raw client records (dicts) -> float32 [N, total] exactly as pipeline.json specifies.

    Arithmetic in float64, one cast to float32 at the end (the C# side may use float or double: the
    difference is far below the fixture tolerance)."""
    feats = pipeline["features"]
    total = sum(feature_width(f) for f in feats)
    out = np.zeros((len(records), total), np.float64)
    for r, rec in enumerate(records):
        col = 0
        for feat in feats:
            v = rec.get(feat["name"])
            if is_missing(v):
                v = feat["impute"]["value"]
            if feat["type"] == "numeric":
                x = float(v)
                o = feat.get("outliers")
                if o and o["method"] == "clip":
                    x = min(max(x, o["min"]), o["max"])
                s = feat.get("scale")
                if s and s["method"] == "standard":
                    x = (x - s["mean"]) / s["std"]
                elif s and s["method"] == "minmax":
                    x = (x - s["min"]) / (s["max"] - s["min"])
                out[r, col] = x
            elif feat["type"] == "boolean":
                out[r, col] = 1.0 if v else 0.0
            else:
                enc = feat["encode"]
                cats = enc["categories"]
                known = v in cats
                if not known and enc["unknown"] == "error":
                    raise ValueError(f"unknown category {v!r} for {feat['name']}")
                if enc["method"] == "one_hot":
                    if known:
                        out[r, col + cats.index(v)] = 1.0
                    elif enc["unknown"] == "bucket":
                        out[r, col + len(cats)] = 1.0
                else:
                    out[r, col] = cats.index(v) if known else (-1 if enc["unknown"] == "ignore" else len(cats))
            col += feature_width(feat)
    return out.astype(f32)


def fit_pipeline(train_rows, labels):
    feats = []
    for name, strategy in NUMERIC:
        vals = np.array([float(r[name]) for r in train_rows if not is_missing(r.get(name))])
        fill = float(vals.mean()) if strategy == "mean" else float(np.median(vals))
        filled = np.array([fill if is_missing(r.get(name)) else float(r[name]) for r in train_rows])
        lo, hi = (float(v) for v in np.percentile(vals, CLIP_PCT))
        clipped = np.clip(filled, lo, hi)
        feats.append({"name": name, "type": "numeric",
                      "impute": {"strategy": strategy, "value": fill},
                      "outliers": {"method": "clip", "min": lo, "max": hi},
                      "scale": {"method": "standard", "mean": float(clipped.mean()),
                                "std": float(clipped.std())}})   # population std, like StandardScaler
    for name, unknown in CATEGORICAL:
        vals = [r[name] for r in train_rows if not is_missing(r.get(name))]
        cats = sorted(set(vals))
        counts = {c: vals.count(c) for c in cats}
        mode = max(cats, key=lambda c: (counts[c], [-ord(ch) for ch in c]))  # ties -> alphabetically first
        feats.append({"name": name, "type": "categorical",
                      "impute": {"strategy": "most_frequent", "value": mode},
                      "encode": {"method": "one_hot", "categories": cats, "unknown": unknown}})
    return {"kind": "tabular", "input": "input", "features": feats, "projection": None,
            "postprocess": {"type": "classification", "probabilities": "probabilities",
                            "labels": list(labels), "top_k": TOP_K}}


# ---------------------------------------------------------------- ONNX
def export(clf, n_in):
    k = len(clf.classes_)
    w = helper.make_tensor("W", TensorProto.FLOAT, [n_in, k], clf.coef_.T.astype(f32).ravel().tolist())
    b = helper.make_tensor("B", TensorProto.FLOAT, [k], clf.intercept_.astype(f32).tolist())
    nodes = [helper.make_node("MatMul", ["input", "W"], ["xw"], name="matmul"),
             helper.make_node("Add", ["xw", "B"], ["logits"], name="add"),
             helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
             helper.make_node("ArgMax", ["probabilities"], ["label"], name="argmax", axis=1, keepdims=0)]
    graph = helper.make_graph(
        nodes, "penguins_logreg",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", k])],
        initializer=[w, b])
    model = helper.make_model(graph, producer_name="aiserve-models-penguins", producer_version="1",
                              doc_string="Multinomial LogisticRegression on the penguins pipeline features "
                                         "(see pipeline.json)",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def run_onnx_numpy(model, x):
    """numpy evaluation (float32) of the ops this graph uses, per the ONNX operator definitions."""
    from onnx import numpy_helper
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env["input"] = x.astype(f32)
    for n in model.graph.node:
        at = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        i = [env[name] for name in n.input]
        if n.op_type == "MatMul":
            y = (i[0] @ i[1]).astype(f32)
        elif n.op_type == "Add":
            y = (i[0] + i[1]).astype(f32)
        elif n.op_type == "Softmax":
            assert at["axis"] in (1, -1)
            e = np.exp(i[0] - i[0].max(1, keepdims=True))
            y = (e / e.sum(1, keepdims=True)).astype(f32)
        elif n.op_type == "ArgMax":
            assert at["axis"] == 1 and at["keepdims"] == 0 and at.get("select_last_index", 0) == 0
            y = i[0].argmax(1).astype(np.int64)   # first index on ties, like ONNX
        else:
            raise ValueError(f"unexpected op {n.op_type}")
        env[n.output[0]] = y
    return env["label"], env["probabilities"]


# ---------------------------------------------------------------- fixture
MISSING_STYLES = ["absent", None, "", "NaN"]


def client_record(row, style_counter):
    """A raw row as a client would send it: species dropped, each NA written in a rotating style."""
    rec = {}
    for k, v in row.items():
        if k == TARGET:
            continue
        if v is None:
            style = MISSING_STYLES[style_counter[0] % len(MISSING_STYLES)]
            style_counter[0] += 1
            if style == "absent":
                continue
            if style == "NaN" and k in ("island", "sex"):
                style = None   # "NaN" only for numeric fields (a string NaN in a text field is ambiguous)
            rec[k] = style
        else:
            rec[k] = v
    return rec


def main():
    np.random.seed(SEED)
    rows = load_rows()
    labels = sorted(set(r[TARGET] for r in rows))
    y = np.array([labels.index(r[TARGET]) for r in rows])
    idx_tr, idx_te = train_test_split(np.arange(len(rows)), test_size=TEST_SIZE, stratify=y, random_state=SEED)
    tr_rows, te_rows = [rows[i] for i in idx_tr], [rows[i] for i in idx_te]
    y_tr, y_te = y[idx_tr], y[idx_te]
    n_missing = sum(any(v is None for v in r.values()) for r in rows)
    print(f"penguins: {len(rows)} rows ({n_missing} with a missing value), {len(tr_rows)} train / "
          f"{len(te_rows)} held-out (stratified, random_state={SEED}); classes {labels}")

    pipeline = fit_pipeline(tr_rows, labels)
    x_tr = transform_records(pipeline, tr_rows)
    x_te = transform_records(pipeline, te_rows)
    clf = LogisticRegression(multi_class="multinomial", C=1.0, max_iter=2000)
    clf.fit(x_tr.astype(np.float64), y_tr)
    proba = clf.predict_proba(x_te.astype(np.float64))
    pred = proba.argmax(1)
    acc, ll = accuracy_score(y_te, pred), log_loss(y_te, proba, labels=[0, 1, 2])
    tr_acc = accuracy_score(y_tr, clf.predict(x_tr.astype(np.float64)))
    print(f"train accuracy {tr_acc:.4f}; held-out accuracy {acc:.4f} ({int((pred == y_te).sum())}/{len(y_te)}), "
          f"log loss {ll:.4f}")
    print("held-out confusion matrix (rows true, cols predicted):\n", confusion_matrix(y_te, pred))

    model = export(clf, x_tr.shape[1])
    lab, pr = run_onnx_numpy(model, x_te)
    err = float(np.abs(pr - proba).max())
    print(f"numpy ONNX evaluation (float32) vs sklearn on held-out: labels equal={bool((lab == pred).all())}, "
          f"max |dprob|={err:.2e}")
    assert (lab == pred).all() and err < 1e-5

    vdir = os.path.join(HERE, "1")
    os.makedirs(vdir, exist_ok=True)
    onnx.save(model, os.path.join(vdir, "model.onnx"))
    with open(os.path.join(vdir, "pipeline.json"), "w") as f:
        json.dump(pipeline, f, indent=2)
        f.write("\n")

    n_in = x_tr.shape[1]
    spec = {
        "name": "penguins",
        "platform": "onnx",
        "description": "Palmer penguin species (Adelie, Chinstrap, Gentoo) from bill, flipper and body-mass "
                       "measurements, island and sex; raw records are preprocessed by the version's pipeline.json.",
        "task": "classification",
        "max_batch_size": 64,
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, n_in]}],
        "outputs": [{"name": "label", "datatype": "INT64", "shape": [-1]},
                    {"name": "probabilities", "datatype": "FP32", "shape": [-1, len(labels)]}],
        "version_policy": {"latest": {"num_versions": 1}},
        "labels": {"stable": 1},
        "warmup": [{"name": "held-out-row", "inputs": {"input": {
            "shape": [1, n_in], "data": [f32_json(v) for v in x_te[0]]}}}],
    }
    with open(os.path.join(HERE, "model.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")

    # fixture: first 12 held-out rows + every other held-out row with a missing value + crafted records
    pick = list(range(12)) + [i for i in range(12, len(te_rows)) if any(v is None for v in te_rows[i].values())]
    counter = [0]
    records = [client_record(te_rows[i], counter) for i in pick]
    true = [labels[y_te[i]] for i in pick]
    crafted = [
        # outliers: clipped to the training 1st/99th percentiles
        {"island": "Biscoe", "bill_length_mm": 95.0, "bill_depth_mm": 2.0, "flipper_length_mm": 400,
         "body_mass_g": 12000, "sex": "male", "year": 2009},
        {"island": "Dream", "bill_length_mm": 10.5, "bill_depth_mm": 30.0, "flipper_length_mm": 150,
         "body_mass_g": 1000, "sex": "female", "year": 2008},
        # unknown sex -> "ignore" (all-zero sex columns); missing island -> imputed; extra field ignored
        {"bill_length_mm": 46.1, "bill_depth_mm": 17.8, "flipper_length_mm": 195, "body_mass_g": 3700,
         "sex": "unknown", "year": 2008, "comment": "sex not determined"},
        # everything missing except island
        {"island": "Torgersen", "bill_length_mm": None, "bill_depth_mm": "", "flipper_length_mm": "NaN",
         "sex": None},
    ]
    records += crafted
    true += [None] * len(crafted)
    x_fx = transform_records(pipeline, records)
    lab_fx, pr_fx = run_onnx_numpy(model, x_fx)
    p_sk = clf.predict_proba(x_fx.astype(np.float64))
    assert np.abs(p_sk - pr_fx).max() < 1e-5 and (p_sk.argmax(1) == lab_fx).all()
    preds = []
    for p in p_sk:
        order = np.argsort(-p, kind="stable")[:TOP_K]
        preds.append({"label": labels[int(order[0])],
                      "top_k": [{"label": labels[int(i)], "score": f32_json(p[i])} for i in order]})
    fixture = {
        "model": "penguins", "version": 1,
        "records": records,
        "tensors": {"input": {"datatype": "FP32", "shape": list(x_fx.shape),
                              "data": [f32_json(v) for v in x_fx.ravel()]}},
        "outputs": {"label": {"datatype": "INT64", "shape": [len(lab_fx)], "data": [int(v) for v in p_sk.argmax(1)]},
                    "probabilities": {"datatype": "FP32", "shape": list(p_sk.shape),
                                      "data": [f32_json(v) for v in p_sk.ravel()]}},
        "predictions": preds,
        "true_labels": true,
        "rejected_records": [
            {"record": {"island": "Atlantis", "bill_length_mm": 40.0, "bill_depth_mm": 18.0,
                        "flipper_length_mm": 190, "body_mass_g": 3800, "sex": "male"},
             "reason": "unknown island category with unknown=\"error\" -> client error"}],
    }
    for rej in fixture["rejected_records"]:
        try:
            transform_records(pipeline, [rej["record"]])
            raise AssertionError("expected rejection")
        except ValueError:
            pass
    fx_dir = os.path.join(REPO, "tests", "fixtures", "penguins")
    os.makedirs(fx_dir, exist_ok=True)
    with open(os.path.join(fx_dir, "pipeline.json"), "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    ok = sum(p["label"] == t for p, t in zip(preds, true) if t)
    print(f"fixture: {len(records)} records ({len(crafted)} crafted), {ok}/{sum(t is not None for t in true)} "
          f"held-out fixture records correct; crafted -> {[p['label'] for p in preds[-len(crafted):]]}")
    print("pipeline:", json.dumps(pipeline["features"]))
    return acc, ll


if __name__ == "__main__":
    main()
