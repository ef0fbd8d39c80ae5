#!/usr/bin/python3
"""Train a small CNN on Fashion-MNIST (Debian package dataset-fashion-mnist) and export it to ONNX.

Run from anywhere:  /usr/bin/python3 models/fashion-mnist/train.py
Writes: models/fashion-mnist/{1/model.onnx,model.json,samples/*.png}
        tests/fixtures/fashion-mnist/v1.json
"""
import gzip
import json
import os
import struct
import time
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
EPOCHS = 3
BATCH = 64
LR = 1e-3
FIXTURE_INDICES = list(range(8))   # first 8 images of the official test set
SAMPLE_INDICES = FIXTURE_INDICES[:3]


def f32_json(v):
    """Shortest decimal that parses back to the same float32 (keeps fixtures small and exact)."""
    return float(repr(np.float32(v)))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    return x, y.astype(np.int64)


def preprocess(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [0,1] (pixel/255)."""
    return (images_u8.astype(np.float32) / 255.0)[:, None, :, :]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * 13 * 13, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):  # logits
        return self.features(x)


class WithSoftmax(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


def run_onnx_numpy(model, x):
    """Tiny numpy interpreter for the ops this export uses (ONNX operator definitions, float32)."""
    from onnx import numpy_helper
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x.astype(np.float32)
    for n in model.graph.node:
        at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        i = [env[name] for name in n.input]
        if n.op_type == "Conv":
            assert at.get("group", 1) == 1 and list(at.get("strides", [1, 1])) == [1, 1]
            assert not any(at.get("pads", [0])) and list(at.get("dilations", [1, 1])) == [1, 1]
            w, b = i[1], i[2]
            kh, kw = w.shape[2:]
            xin = i[0]
            oh, ow = xin.shape[2] - kh + 1, xin.shape[3] - kw + 1
            cols = np.stack([xin[:, :, r:r + oh, c:c + ow] for r in range(kh) for c in range(kw)], axis=2)
            y = np.einsum("bckhw,ock->bohw", cols.reshape(xin.shape[0], xin.shape[1], kh * kw, oh, ow),
                          w.reshape(w.shape[0], w.shape[1], kh * kw)) + b[None, :, None, None]
        elif n.op_type == "Relu":
            y = np.maximum(i[0], 0)
        elif n.op_type == "MaxPool":
            assert list(at["kernel_shape"]) == [2, 2] and list(at["strides"]) == [2, 2] and at.get("ceil_mode", 0) == 0
            xin = i[0]
            h, w_ = xin.shape[2] // 2 * 2, xin.shape[3] // 2 * 2
            xin = xin[:, :, :h, :w_]
            y = xin.reshape(xin.shape[0], xin.shape[1], h // 2, 2, w_ // 2, 2).max(axis=(3, 5))
        elif n.op_type == "Flatten":
            y = i[0].reshape(i[0].shape[0], -1)
        elif n.op_type == "Gemm":
            assert at.get("transB", 0) == 1 and at.get("transA", 0) == 0
            y = at.get("alpha", 1.0) * (i[0] @ i[1].T) + at.get("beta", 1.0) * i[2]
        elif n.op_type == "Softmax":
            assert at.get("axis", -1) in (1, -1)
            e = np.exp(i[0] - i[0].max(1, keepdims=True))
            y = e / e.sum(1, keepdims=True)
        else:
            raise ValueError(f"unexpected op {n.op_type}")
        env[n.output[0]] = y.astype(np.float32)
    return env[model.graph.output[0].name]


def write_png_gray(path, img_u8):
    h, w = img_u8.shape
    raw = b"".join(b"\x00" + img_u8[r].tobytes() for r in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def main():
    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    xtr_u8, ytr = load("train")
    xte_u8, yte = load("test")
    xtr, xte = torch.from_numpy(preprocess(xtr_u8)), torch.from_numpy(preprocess(xte_u8))
    ytr_t = torch.from_numpy(ytr)
    print(f"train {tuple(xtr.shape)}  test {tuple(xte.shape)}")

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    lossf = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    t0 = time.time()
    for epoch in range(EPOCHS):
        net.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = lossf(net(xtr[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{EPOCHS}: train loss {total / len(xtr):.4f}  ({time.time() - t0:.0f}s)")

    net.eval()
    model = WithSoftmax(net).eval()
    with torch.no_grad():
        probs = torch.cat([model(xte[i:i + 1000]) for i in range(0, len(xte), 1000)]).numpy()
    pred = probs.argmax(1)
    acc = float((pred == yte).mean())
    logloss = float(-np.mean(np.log(np.clip(probs[np.arange(len(yte)), yte], 1e-15, None))))
    print(f"held-out (official 10k test set): accuracy {acc:.4f}  log loss {logloss:.4f}")

    # ONNX export
    os.makedirs(os.path.join(HERE, "1"), exist_ok=True)
    onnx_path = os.path.join(HERE, "1", "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path,
                      input_names=["input"], output_names=["probabilities"],
                      dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}},
                      opset_version=17, do_constant_folding=True)

    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    print(f"exported {onnx_path} ({os.path.getsize(onnx_path)} bytes, ir_version {m.ir_version})")
    xchk = xte[:256].numpy()
    with torch.no_grad():
        pchk = model(xte[:256]).numpy()
    err = float(np.abs(run_onnx_numpy(m, xchk) - pchk).max())
    print(f"numpy evaluation of the exported graph vs PyTorch (256 test images): max |dprob| = {err:.2e}")
    assert err < 1e-5

    # model.json
    spec = {
        "name": "fashion-mnist",
        "platform": "onnx",
        "description": "Small CNN classifying 28x28 grayscale Fashion-MNIST clothing images into 10 classes.",
        "task": "classification",
        "max_batch_size": 64,
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 28, 28]}],
        "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}],
        "version_policy": {"latest": {"num_versions": 1}},
        "labels": {"stable": 1},
    }
    with open(os.path.join(HERE, "model.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")

    # fixture
    xf = xte[FIXTURE_INDICES]
    with torch.no_grad():
        pf = model(xf).numpy().astype(np.float32)
    fixture = {
        "model": "fashion-mnist",
        "version": 1,
        "inputs": {"input": {"datatype": "FP32", "shape": list(xf.shape),
                             "data": [f32_json(v) for v in xf.numpy().ravel()]}},
        "outputs": {"probabilities": {"datatype": "FP32", "shape": list(pf.shape),
                                      "data": [f32_json(v) for v in pf.ravel()]}},
        "true_labels": [int(v) for v in yte[FIXTURE_INDICES]],
    }
    fx_dir = os.path.join(REPO, "tests", "fixtures", "fashion-mnist")
    os.makedirs(fx_dir, exist_ok=True)
    with open(os.path.join(fx_dir, "v1.json"), "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print("fixture predictions:", pf.argmax(1).tolist(), "true:", fixture["true_labels"])

    # sample PNGs
    sdir = os.path.join(HERE, "samples")
    os.makedirs(sdir, exist_ok=True)
    for i in SAMPLE_INDICES:
        name = CLASSES[yte[i]].lower().replace("/", "-").replace(" ", "-")
        write_png_gray(os.path.join(sdir, f"{i}-{name}.png"), xte_u8[i])


if __name__ == "__main__":
    main()
