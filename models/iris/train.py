#!/usr/bin/python3
"""Train two iris classifiers with scikit-learn and export them to ONNX by hand (no skl2onnx).

Run from anywhere:  /usr/bin/python3 models/iris/train.py
Writes: models/iris/{1/model.onnx,2/model.onnx,model.json}, tests/fixtures/iris/{v1,v2}.json

Version 1: StandardScaler + multinomial LogisticRegression  -> ai.onnx.ml Scaler + LinearClassifier(SOFTMAX)
Version 2: StandardScaler + SVC(rbf, probability=True)       -> ai.onnx.ml Scaler + SVMClassifier(prob_a/prob_b)

Both graphs: input `input` FP32 [N,4]; outputs `label` INT64 [N], `probabilities` FP32 [N,3] (no ZipMap).
The ONNX graphs are checked against sklearn with a numpy re-implementation of the ONNX Runtime CPU
kernels (float32 arithmetic, same formulas/iteration as onnxruntime/core/providers/cpu/ml/*).
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SEED = 0
OPSET = 17
ML_OPSET = 3
IR_VERSION = 8
TOL = 1e-5  # tolerance for our own float32 emulation vs sklearn (server tests use 1e-4)

f32 = np.float32


# ---------------------------------------------------------------- ONNX graph construction
def io_tensors():
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])
    label = helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])
    probs = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])
    return inp, label, probs


def scaler_node(scaler):
    # ai.onnx.ml Scaler: Y = (X - offset) * scale
    return helper.make_node("Scaler", ["input"], ["scaled"], domain="ai.onnx.ml", name="scaler",
                            offset=[float(v) for v in scaler.mean_],
                            scale=[float(1.0 / v) for v in scaler.scale_])


def finish(nodes, name, doc):
    inp, label, probs = io_tensors()
    graph = helper.make_graph(nodes, name, [inp], [label, probs])
    model = helper.make_model(graph, producer_name="aiserve-models-iris", producer_version="1",
                              doc_string=doc,
                              opset_imports=[helper.make_opsetid("", OPSET),
                                             helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def export_logreg(pipe):
    scaler, clf = pipe[0], pipe[1]
    node = helper.make_node("LinearClassifier", ["scaled"], ["label", "probabilities"], domain="ai.onnx.ml",
                            name="logreg", classlabels_ints=[int(c) for c in clf.classes_],
                            coefficients=[float(v) for v in clf.coef_.ravel()],
                            intercepts=[float(v) for v in clf.intercept_],
                            multi_class=0, post_transform="SOFTMAX")
    return finish([scaler_node(scaler), node], "iris_logreg",
                  "StandardScaler + multinomial LogisticRegression (iris)")


def export_svc(pipe):
    scaler, clf = pipe[0], pipe[1]
    node = helper.make_node("SVMClassifier", ["scaled"], ["label", "probabilities"], domain="ai.onnx.ml",
                            name="svc", classlabels_ints=[int(c) for c in clf.classes_],
                            kernel_type="RBF", kernel_params=[float(clf._gamma), float(clf.coef0), float(clf.degree)],
                            vectors_per_class=[int(v) for v in clf.n_support_],
                            support_vectors=[float(v) for v in clf.support_vectors_.ravel()],
                            coefficients=[float(v) for v in clf.dual_coef_.ravel()],
                            rho=[float(v) for v in clf.intercept_],
                            prob_a=[float(v) for v in clf.probA_],
                            prob_b=[float(v) for v in clf.probB_],
                            post_transform="NONE")
    return finish([scaler_node(scaler), node], "iris_svc",
                  "StandardScaler + SVC(rbf, probability=True) (iris)")


# ---------------------------------------------------------------- numpy emulation of the ORT kernels
def attrs(model):
    out = {}
    for node in model.graph.node:
        out[node.op_type] = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    return out


def ort_scaler(a, x):
    return ((x.astype(f32) - np.array(a["offset"], f32)) * np.array(a["scale"], f32)).astype(f32)


def ort_linear_classifier(a, x):
    coef = np.array(a["coefficients"], f32).reshape(len(a["intercepts"]), -1)
    scores = (x @ coef.T + np.array(a["intercepts"], f32)).astype(f32)
    labels = np.array(a["classlabels_ints"])[scores.argmax(1)]
    e = np.exp(scores - scores.max(1, keepdims=True))
    return labels, (e / e.sum(1, keepdims=True)).astype(f32)


def ort_multiclass_probability(k, r, dtype):
    """Port of onnxruntime ml_common.h multiclass_probability (libsvm pairwise coupling)."""
    r = r.astype(dtype)
    Q = np.zeros((k, k), dtype)
    Qp = np.zeros(k, dtype)
    p = np.full(k, dtype(1.0) / dtype(k), dtype)
    eps = dtype(0.005) / dtype(k)
    for i in range(k):
        for j in range(i):
            Q[i, i] += r[j, i] * r[j, i]
            Q[i, j] = Q[j, i]
        for j in range(i + 1, k):
            Q[i, i] += r[j, i] * r[j, i]
            Q[i, j] = -r[j, i] * r[i, j]
    iters = 0
    margin = np.inf  # smallest relative distance of max_error from eps (robustness of the stop test)
    for _ in range(100):
        pQp = dtype(0)
        for i in range(k):
            Qp[i] = dtype(0)
            for j in range(k):
                Qp[i] += Q[i, j] * p[j]
            pQp += p[i] * Qp[i]
        max_error = max(abs(Qp[i] - pQp) for i in range(k))
        margin = min(margin, abs(float(max_error) - float(eps)) / float(eps))
        if max_error < eps:
            break
        iters += 1
        for i in range(k):
            diff = (-Qp[i] + pQp) / Q[i, i]
            p[i] += diff
            pQp = (pQp + diff * (diff * Q[i, i] + dtype(2) * Qp[i])) / (dtype(1) + diff) / (dtype(1) + diff)
            for j in range(k):
                Qp[j] = (Qp[j] + diff * Q[i, j]) / (dtype(1) + diff)
                p[j] /= (dtype(1) + diff)
    return p, iters, margin


def ort_svm_classifier(a, x, dtype=f32):
    k = len(a["classlabels_ints"])
    nsv = list(a["vectors_per_class"])
    start = np.concatenate([[0], np.cumsum(nsv)[:-1]]).astype(int)
    sv = np.array(a["support_vectors"], dtype).reshape(sum(nsv), -1)
    coef = np.array(a["coefficients"], dtype).reshape(k - 1, -1)
    rho = np.array(a["rho"], dtype)
    pa, pb = np.array(a["prob_a"], dtype), np.array(a["prob_b"], dtype)
    gamma = dtype(a["kernel_params"][0])
    labels, probs, iters = [], [], []
    min_margin = min_dec = np.inf
    for row in x.astype(dtype):
        kern = np.exp(-gamma * ((sv - row) ** 2).sum(1)).astype(dtype)
        votes = np.zeros(k, int)
        dec = []
        for i in range(k - 1):
            for j in range(i + 1, k):
                si, sj = slice(start[i], start[i] + nsv[i]), slice(start[j], start[j] + nsv[j])
                s = float(np.dot(coef[j - 1, si].astype(np.float64), kern[si].astype(np.float64)))
                s += float(np.dot(coef[i, sj].astype(np.float64), kern[sj].astype(np.float64)))
                s += float(rho[len(dec)])
                dec.append(dtype(s))
                votes[i if s > 0 else j] += 1
        r = np.zeros((k, k), dtype)
        idx = 0
        for i in range(k - 1):
            for j in range(i + 1, k):
                v = dec[idx] * pa[idx] + pb[idx]
                logistic = dtype(1) / (dtype(1) + np.exp(-abs(v)))
                logistic = dtype(1) - logistic if v < 0 else logistic
                val = dtype(1) - logistic
                val = min(max(val, dtype(1e-7)), dtype(1) - dtype(1e-7))
                r[i, j], r[j, i] = val, dtype(1) - val
                idx += 1
        p, it, margin = ort_multiclass_probability(k, r, dtype)
        min_margin = min(min_margin, margin)
        min_dec = min([min_dec] + [abs(float(d)) for d in dec])
        labels.append(a["classlabels_ints"][int(np.argmax(votes))])
        probs.append(p)
        iters.append(it)
    return np.array(labels), np.array(probs, dtype), (min_dec, min_margin), iters


# ---------------------------------------------------------------- main
def write_fixture(version, x, labels, probs):
    fx = {
        "model": "iris",
        "version": version,
        "inputs": {"input": {"datatype": "FP32", "shape": list(x.shape),
                             "data": [float(v) for v in x.ravel()]}},
        "outputs": {
            "label": {"datatype": "INT64", "shape": [len(labels)], "data": [int(v) for v in labels]},
            "probabilities": {"datatype": "FP32", "shape": list(probs.shape),
                              "data": [float(str(v)) for v in probs.astype(f32).ravel()]},
        },
    }
    d = os.path.join(REPO, "tests", "fixtures", "iris")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"v{version}.json"), "w") as f:
        json.dump(fx, f)
        f.write("\n")


def main():
    data = load_iris()
    x_tr, x_te, y_tr, y_te = train_test_split(data.data, data.target, test_size=0.2,
                                              stratify=data.target, random_state=SEED)
    # The server receives FP32: evaluate sklearn on exactly the float32 values sent in the fixture.
    x_te32 = x_te.astype(f32)
    x_te_eval = x_te32.astype(np.float64)
    print(f"iris: {len(x_tr)} train rows, {len(x_te)} held-out rows (stratified, random_state={SEED})")

    models = {
        1: make_pipeline(StandardScaler(), LogisticRegression(multi_class="multinomial", max_iter=1000)),
        2: make_pipeline(StandardScaler(), SVC(kernel="rbf", C=1.0, probability=True, random_state=SEED)),
    }
    metrics = {}
    for version, pipe in models.items():
        pipe.fit(x_tr, y_tr)
        pred = pipe.predict(x_te_eval)
        proba = pipe.predict_proba(x_te_eval)
        acc, ll = accuracy_score(y_te, pred), log_loss(y_te, proba, labels=[0, 1, 2])
        metrics[version] = (acc, ll)
        print(f"version {version} ({type(pipe[1]).__name__}): held-out accuracy {acc:.4f}  log loss {ll:.4f}")

        model = export_logreg(pipe) if version == 1 else export_svc(pipe)
        a = attrs(model)
        scaled = ort_scaler(a["Scaler"], x_te32)
        if version == 1:
            lab, pr = ort_linear_classifier(a["LinearClassifier"], scaled)
        else:
            lab, pr, margin, iters32 = ort_svm_classifier(a["SVMClassifier"], scaled, f32)
            print(f"  SVC float32 robustness: smallest |pairwise decision value| {margin[0]:.2e}, "
                  f"smallest relative distance of the coupling stop test from eps {margin[1]:.2e}")
            assert margin[0] > 1e-4 and margin[1] > 1e-3, "a vote or the coupling stop test is too close to call"

            lab64, pr64, _, iters64 = ort_svm_classifier(a["SVMClassifier"], scaled, np.float64)
            assert iters32 == iters64, "coupling iteration count differs between float32 and float64"
            assert (lab64 == lab).all()
        err = float(np.abs(pr - proba).max())
        print(f"  ONNX-kernel emulation (float32) vs sklearn: labels equal={bool((lab == pred).all())}, "
              f"max |dprob|={err:.2e}")
        assert (lab == pred).all() and err < TOL, "ONNX graph does not reproduce sklearn"

        vdir = os.path.join(HERE, str(version))
        os.makedirs(vdir, exist_ok=True)
        onnx.save(model, os.path.join(vdir, "model.onnx"))
        write_fixture(version, x_te, pred, proba)

    spec = {
        "name": "iris",
        "platform": "onnx",
        "description": "Iris flower species classifier (setosa, versicolor, virginica) from four sepal/petal measurements in cm.",
        "task": "classification",
        "max_batch_size": 64,
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [
            {"name": "label", "datatype": "INT64", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
        ],
        "version_policy": {"all": {}},
        "labels": {"stable": 1, "canary": 2},
        "warmup": [{"name": "setosa-sample", "inputs": {"input": {"shape": [1, 4], "data": [5.1, 3.5, 1.4, 0.2]}}}],
    }
    with open(os.path.join(HERE, "model.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")
    return metrics


if __name__ == "__main__":
    main()
