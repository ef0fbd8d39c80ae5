#!/usr/bin/python3
"""Lecturer recommender: matrix factorisation on lme4's InstEval ratings, exported to ONNX.

Run from anywhere:  /usr/bin/python3 models/lecturer-ratings/train.py
Data: Debian package r-cran-lme4 (dataset `InstEval`: ETH Zurich lecture evaluations; students `s` rate
      lecturers `d` on `y` 1..5, 73,421 rows). The dataset is only available as R data, so this script runs
      `Rscript` (Debian r-base-core) in a subprocess to write s,d,y to a temporary CSV, then reads it in Python.
      Needs: apt-get install -y r-base-core r-cran-lme4. Nothing is downloaded.
Writes: models/lecturer-ratings/{model.json, 1/model.onnx, 1/pipeline.json, 1/users.txt, 1/items.txt,
        1/rated.json, 1/popular.txt}, tests/fixtures/lecturer-ratings/pipeline.json

Model: rating(u, i) = mu + b_u + b_i + <p_u, q_i>, trained in PyTorch (full-batch Adam with weight decay,
seeded, deterministic) on a random 90% of the ratings; the other 10% are held out for the metrics.
ONNX: inputs `user` INT64 [N], `item` INT64 [N] (0-based indices = line numbers of users.txt/items.txt)
      -> `rating` FP32 [N] (raw, not clipped). Checked with a numpy evaluation of the exported ops.
"""
import csv
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SEED = 0
TEST_FRAC = 0.10
DIM = 16
LR = 0.02
STEPS = 300
# Adam L2 penalties (weight_decay) for the biases and for the factors, chosen on an inner validation split
# (a seeded random 10% of the TRAINING ratings; the held-out 10% is never used for the choice)
BIAS_WD_GRID = [1e-4, 3e-4, 1e-3]
FACTOR_WD_GRID = [3e-4, 5e-4, 1e-3]
TOP_K = 10
RELEVANT = 4          # a held-out rating >= 4 counts as relevant for precision@k
MIN_RATING, MAX_RATING = 1, 5

f32 = np.float32


def f32_json(v):
    return float(repr(np.float32(v)))


# ---------------------------------------------------------------- data
R_EXPORT = ('suppressMessages(library(lme4)); '
            'd <- InstEval[, c("s", "d", "y")]; '
            'd$s <- as.character(d$s); d$d <- as.character(d$d); '
            'write.csv(d, commandArgs(trailingOnly = TRUE)[1], row.names = FALSE)')


def load_insteval():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "insteval.csv")
        subprocess.run(["Rscript", "-e", R_EXPORT, path], check=True)
        with open(path, newline="") as f:
            rows = [(r["s"], r["d"], int(r["y"])) for r in csv.DictReader(f)]
    return rows


# ---------------------------------------------------------------- model
class MF(nn.Module):
    def __init__(self, n_users, n_items, dim, mu):
        super().__init__()
        self.mu = nn.Parameter(torch.tensor(mu, dtype=torch.float32), requires_grad=False)
        self.bu = nn.Parameter(torch.zeros(n_users))
        self.bi = nn.Parameter(torch.zeros(n_items))
        self.p = nn.Parameter(torch.randn(n_users, dim) * 0.1)
        self.q = nn.Parameter(torch.randn(n_items, dim) * 0.1)

    def forward(self, user, item):
        return self.mu + self.bu[user] + self.bi[item] + (self.p[user] * self.q[item]).sum(-1)


def train_mf(tu, ti, ty, n_users, n_items, mu, bias_wd, factor_wd, steps=STEPS, log=False):
    torch.manual_seed(SEED)
    model = MF(n_users, n_items, DIM, mu)
    opt = torch.optim.Adam([{"params": [model.bu, model.bi], "weight_decay": bias_wd},
                            {"params": [model.p, model.q], "weight_decay": factor_wd}], lr=LR)
    t0 = time.time()
    for step in range(steps):
        opt.zero_grad()
        loss = ((model(tu, ti) - ty) ** 2).mean()
        loss.backward()
        opt.step()
        if log and (step + 1) % 100 == 0:
            print(f"step {step + 1}/{steps}: train MSE {loss.item():.4f} ({time.time() - t0:.1f}s)")
    return model.eval()


def rmse_of(model, u, i, y):
    with torch.no_grad():
        return float(((model(u, i) - y) ** 2).mean().sqrt())


def run_onnx_numpy(model, feeds):
    """numpy evaluation (float32) of the ops in the exported graph, per the ONNX operator definitions."""
    from onnx import numpy_helper
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for n in model.graph.node:
        at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        i = [env[name] if name else None for name in n.input]
        if n.op_type == "Gather":
            assert at.get("axis", 0) == 0
            y = np.take(i[0], i[1], axis=0)
        elif n.op_type == "Mul":
            y = (i[0] * i[1]).astype(f32)
        elif n.op_type == "Add":
            y = (i[0] + i[1]).astype(f32)
        elif n.op_type == "ReduceSum":
            axes = tuple(int(a) for a in i[1]) if len(i) > 1 and i[1] is not None else tuple(at.get("axes", []))
            y = i[0].sum(axis=axes, keepdims=bool(at.get("keepdims", 1))).astype(f32)
        elif n.op_type == "Constant":
            y = numpy_helper.to_array(at["value"])
        else:
            raise ValueError(f"unexpected op {n.op_type}")
        env[n.output[0]] = y
    return env[model.graph.output[0].name]


# ---------------------------------------------------------------- ranking helpers
def top_items(scores, exclude, k):
    """Indices of the k highest scores, excluding `exclude`; ties -> lower index first."""
    s = scores.astype(np.float64).copy()
    s[list(exclude)] = -np.inf
    order = np.argsort(-s, kind="stable")
    return [int(i) for i in order[:k] if np.isfinite(s[i])]


def precision_at_k(rank_fn, test_by_user, train_by_user, k):
    precs = []
    for u, items in test_by_user.items():
        rel = {i for i, r in items if r >= RELEVANT}
        if not rel:
            continue
        rec = rank_fn(u, train_by_user.get(u, set()), k)
        precs.append(len(rel.intersection(rec)) / k)
    return float(np.mean(precs)), len(precs)


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    rows = load_insteval()
    rng = np.random.default_rng(SEED)
    perm = rng.permutation(len(rows))
    n_test = int(round(TEST_FRAC * len(rows)))
    test_rows = [rows[i] for i in sorted(perm[:n_test])]
    train_rows = [rows[i] for i in sorted(perm[n_test:])]

    # id <-> index from the TRAINING split (numeric-id order); unknown ids are cold-start for the server
    users = sorted({s for s, _, _ in train_rows}, key=int)
    items = sorted({d for _, d, _ in train_rows}, key=int)
    uidx, iidx = {u: k for k, u in enumerate(users)}, {d: k for k, d in enumerate(items)}
    print(f"InstEval: {len(rows)} ratings, {len({r[0] for r in rows})} students, {len({r[1] for r in rows})} "
          f"lecturers; train {len(train_rows)} / held-out {len(test_rows)} (random, seed {SEED}); "
          f"{len(users)} users and {len(items)} items in training")

    tu = torch.tensor([uidx[s] for s, _, _ in train_rows])
    ti = torch.tensor([iidx[d] for _, d, _ in train_rows])
    ty = torch.tensor([y for _, _, y in train_rows], dtype=torch.float32)
    mu = float(ty.mean())

    # hyper-parameter choice on an inner validation split of the training ratings
    inner = np.random.default_rng(SEED + 2).permutation(len(train_rows))
    n_val = int(round(0.1 * len(train_rows)))
    va, fit = torch.from_numpy(np.sort(inner[:n_val])), torch.from_numpy(np.sort(inner[n_val:]))
    mu_fit = float(ty[fit].mean())
    results = {}
    for bwd in BIAS_WD_GRID:
        for fwd in FACTOR_WD_GRID:
            m_ = train_mf(tu[fit], ti[fit], ty[fit], len(users), len(items), mu_fit, bwd, fwd)
            results[(bwd, fwd)] = rmse_of(m_, tu[va], ti[va], ty[va])
            print(f"  inner validation: bias wd {bwd:g}, factor wd {fwd:g} -> RMSE {results[(bwd, fwd)]:.4f}")
    bias_wd, factor_wd = min(results, key=results.get)
    print(f"chosen: bias weight decay {bias_wd:g}, factor weight decay {factor_wd:g}")
    model = train_mf(tu, ti, ty, len(users), len(items), mu, bias_wd, factor_wd, log=True)

    # ---- held-out RMSE (unknown user/item -> its bias and factor count as 0)
    with torch.no_grad():
        bu, bi = model.bu.numpy(), model.bi.numpy()
        P, Q = model.p.numpy(), model.q.numpy()
    n_cold = 0
    preds, truth = [], []
    for s, d, y in test_rows:
        u, i = uidx.get(s), iidx.get(d)
        if u is None or i is None:
            n_cold += 1
        pr = mu + (bu[u] if u is not None else 0.0) + (bi[i] if i is not None else 0.0)
        if u is not None and i is not None:
            pr += float(P[u] @ Q[i])
        preds.append(pr)
        truth.append(y)
    preds, truth = np.array(preds), np.array(truth, float)
    rmse = float(np.sqrt(np.mean((preds - truth) ** 2)))
    rmse_clipped = float(np.sqrt(np.mean((np.clip(preds, MIN_RATING, MAX_RATING) - truth) ** 2)))
    rmse_mean = float(np.sqrt(np.mean((mu - truth) ** 2)))
    print(f"held-out RMSE: model {rmse:.4f} (clipped to [1,5]: {rmse_clipped:.4f}) vs global mean "
          f"{rmse_mean:.4f}; {n_cold} held-out pairs with a user or item unseen in training")

    # ---- precision@10 vs popularity (rank all training items, exclude the user's training items)
    train_by_user, test_by_user = {}, {}
    for s, d, _ in train_rows:
        train_by_user.setdefault(uidx[s], set()).add(iidx[d])
    for s, d, y in test_rows:
        if s in uidx and d in iidx:
            test_by_user.setdefault(uidx[s], []).append((iidx[d], y))
    counts = np.bincount(ti.numpy(), minlength=len(items))
    pop_order = np.argsort(-counts, kind="stable")   # ties -> lower index (smaller id) first
    pop_scores = np.empty(len(items))
    pop_scores[pop_order] = -np.arange(len(items), dtype=float)
    full = (mu + bu[:, None] + bi[None, :] + P @ Q.T).astype(f32)
    p_model, n_users_eval = precision_at_k(lambda u, ex, k: top_items(full[u], ex, k), test_by_user,
                                           train_by_user, TOP_K)
    p_pop, _ = precision_at_k(lambda u, ex, k: top_items(pop_scores, ex, k), test_by_user, train_by_user, TOP_K)
    print(f"held-out precision@{TOP_K} (relevant = held-out rating >= {RELEVANT}, {n_users_eval} users): "
          f"model {p_model:.4f} vs popularity {p_pop:.4f}")

    # ---- export
    vdir = os.path.join(HERE, "1")
    os.makedirs(vdir, exist_ok=True)
    onnx_path = os.path.join(vdir, "model.onnx")
    ex_u, ex_i = torch.tensor([0, 1, 2]), torch.tensor([0, 1, 2])
    torch.onnx.export(model, (ex_u, ex_i), onnx_path, input_names=["user", "item"], output_names=["rating"],
                      dynamic_axes={"user": {0: "N"}, "item": {0: "N"}, "rating": {0: "N"}},
                      opset_version=17, do_constant_folding=True)
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    print(f"exported {onnx_path} ({os.path.getsize(onnx_path)} bytes); ops: {[n.op_type for n in m.graph.node]}")
    # numpy check on every training item for 50 users
    chk_u = np.repeat(np.arange(50), len(items)).astype(np.int64)
    chk_i = np.tile(np.arange(len(items)), 50).astype(np.int64)
    got = run_onnx_numpy(m, {"user": chk_u, "item": chk_i})
    with torch.no_grad():
        want = model(torch.from_numpy(chk_u), torch.from_numpy(chk_i)).numpy()
    err = float(np.abs(got - want).max())
    print(f"numpy evaluation of the ONNX graph vs PyTorch ({len(chk_u)} pairs): max |d| = {err:.2e}")
    assert err < 1e-5

    with open(os.path.join(vdir, "users.txt"), "w") as f:
        f.write("".join(u + "\n" for u in users))
    with open(os.path.join(vdir, "items.txt"), "w") as f:
        f.write("".join(d + "\n" for d in items))
    rated = {users[u]: [items[i] for i in sorted(s)] for u, s in sorted(train_by_user.items())}
    with open(os.path.join(vdir, "rated.json"), "w") as f:
        json.dump(rated, f, separators=(",", ":"))
        f.write("\n")
    popular = [items[i] for i in pop_order]
    with open(os.path.join(vdir, "popular.txt"), "w") as f:
        f.write("".join(d + "\n" for d in popular))
    pipeline = {"kind": "recommender", "user_input": "user", "item_input": "item",
                "users": "users.txt", "items": "items.txt", "rated": "rated.json", "popular": "popular.txt",
                "cold_start": "popular",
                "postprocess": {"type": "recommendation", "output": "rating", "top_k": TOP_K,
                                "min_rating": MIN_RATING, "max_rating": MAX_RATING}}
    with open(os.path.join(vdir, "pipeline.json"), "w") as f:
        json.dump(pipeline, f, indent=2)
        f.write("\n")

    spec = {
        "name": "lecturer-ratings",
        "platform": "onnx",
        "description": "Lecturer recommender (matrix factorisation on ETH Zurich InstEval course ratings): "
                       "predicted rating 1-5 of lecturer `item` by student `user` (indices from users.txt/items.txt).",
        "task": "recommendation",
        "max_batch_size": 0,
        "inputs": [{"name": "user", "datatype": "INT64", "shape": [-1]},
                   {"name": "item", "datatype": "INT64", "shape": [-1]}],
        "outputs": [{"name": "rating", "datatype": "FP32", "shape": [-1]}],
        "version_policy": {"latest": {"num_versions": 1}},
        "labels": {"stable": 1},
    }
    with open(os.path.join(HERE, "model.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")

    # ---- fixture: 10 held-out (known user, known item) pairs + one top-k query
    known = [(s, d, y) for s, d, y in test_rows if s in uidx and d in iidx]
    pick = [known[j] for j in np.random.default_rng(SEED + 1).choice(len(known), 10, replace=False)]
    fu = np.array([uidx[s] for s, _, _ in pick], np.int64)
    fi = np.array([iidx[d] for _, d, _ in pick], np.int64)
    with torch.no_grad():
        fr = model(torch.from_numpy(fu), torch.from_numpy(fi)).numpy().astype(f32)
    assert np.abs(run_onnx_numpy(m, {"user": fu, "item": fi}) - fr).max() < 1e-5

    # top-k user: the first user (in held-out order) whose top-6 scores are separated by > 1e-3,
    # so float32 differences between runtimes cannot reorder the expected list
    k = 5
    for s, _, _ in known:
        u = uidx[s]
        all_scores = run_onnx_numpy(m, {"user": np.full(len(items), u, np.int64),
                                        "item": np.arange(len(items), dtype=np.int64)})
        top = top_items(all_scores, train_by_user[u], k + 1)
        gaps = np.diff(-all_scores[top])
        if gaps.min() > 1e-3:
            break
    top_user = s
    expected = [items[i] for i in top[:k]]
    fixture = {
        "model": "lecturer-ratings", "version": 1,
        "records": [{"user": s, "item": d} for s, d, _ in pick],
        "tensors": {"user": {"datatype": "INT64", "shape": [len(fu)], "data": [int(v) for v in fu]},
                    "item": {"datatype": "INT64", "shape": [len(fi)], "data": [int(v) for v in fi]}},
        "outputs": {"rating": {"datatype": "FP32", "shape": [len(fr)], "data": [f32_json(v) for v in fr]}},
        "predictions": [{"user": s, "item": d, "rating": f32_json(np.clip(r, MIN_RATING, MAX_RATING))}
                        for (s, d, _), r in zip(pick, fr)],
        "true_ratings": [y for _, _, y in pick],
        "top_k": {"user": top_user, "k": k, "exclude_rated": True, "expected_items": expected,
                  "expected_ratings": [f32_json(np.clip(all_scores[i], MIN_RATING, MAX_RATING)) for i in top[:k]],
                  "n_rated": len(train_by_user[uidx[top_user]])},
        "cold_start_top_k": {"user": "no-such-student", "k": k, "exclude_rated": True,
                             "expected_items": popular[:k]},
    }
    fx_dir = os.path.join(REPO, "tests", "fixtures", "lecturer-ratings")
    os.makedirs(fx_dir, exist_ok=True)
    with open(os.path.join(fx_dir, "pipeline.json"), "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"fixture: 10 pairs; top-{k} for user {top_user}: {expected} (min gap {gaps.min():.4f}); "
          f"cold start: {popular[:k]}")
    return rmse, rmse_mean, p_model, p_pop, bias_wd, factor_wd


if __name__ == "__main__":
    main()
