#!/usr/bin/python3
"""Which Jane Austen novel is a passage from? Bag-of-WordPiece-embeddings classifier, exported to ONNX.

Run from anywhere:  /usr/bin/python3 models/austen/train.py
Data: Debian package r-cran-janeaustenr (the six completed novels, Project Gutenberg text, one line per
      element). The texts exist only as R data, so this script runs `Rscript` (Debian r-base-core) in a
      subprocess to write each novel to a temporary UTF-8 text file, then reads those in Python.
      Needs: apt-get install -y r-base-core r-cran-janeaustenr. Nothing is downloaded.
Writes: models/austen/{model.json, 1/model.onnx, 1/vocab.txt, 1/pipeline.json},
        tests/fixtures/austen/pipeline.json

Tokenizer: a Python implementation of the BERT uncased tokenizer (HuggingFace BertTokenizer / Microsoft.ML
Tokenizers BertTokenizer with lower-casing and accent stripping) over our own vocab.txt, see `BertWordPiece`.
Model: input_ids INT64 [N,L], attention_mask INT64 [N,L] -> Embedding(V,64) -> mean over mask=1 positions
       -> Linear(64,6) -> Softmax -> probabilities FP32 [N,6]. Checked with a numpy evaluation of the graph's ops.
"""
import collections
import json
import os
import re
import subprocess
import tempfile
import time
import unicodedata

import numpy as np
import onnx
import torch
import torch.nn as nn
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SEED = 0
BOOKS = [("sensesensibility", "Sense & Sensibility"), ("prideprejudice", "Pride & Prejudice"),
         ("mansfieldpark", "Mansfield Park"), ("emma", "Emma"), ("northangerabbey", "Northanger Abbey"),
         ("persuasion", "Persuasion")]
LABELS = [name for _, name in BOOKS]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_WORDS = 12000      # most frequent training words in the vocab ...
MIN_COUNT = 2          # ... seen at least this often
MAX_LENGTH = 128
MAX_TEXT_CHARS = 5000
EMB_DIM = 64
EPOCHS = 12
BATCH = 64
LR = 3e-3
TOP_K = 3

f32 = np.float32


def f32_json(v):
    return float(repr(np.float32(v)))


# ---------------------------------------------------------------- tokenizer (BERT uncased semantics)
def _is_whitespace(ch):
    return ch in (" ", "\t", "\n", "\r") or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text):
    """HF BasicTokenizer(do_lower_case=True, strip_accents=None -> stripped, tokenize_chinese_chars=True)."""
    out = []
    for ch in text:                                   # clean text
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    tokens = []
    for tok in "".join(out).split():
        tok = tok.lower()
        tok = "".join(c for c in unicodedata.normalize("NFD", tok) if unicodedata.category(c) != "Mn")
        cur = []
        for c in tok:                                 # split on punctuation
            if _is_punctuation(c):
                if cur:
                    tokens.append("".join(cur))
                    cur = []
                tokens.append(c)
            else:
                cur.append(c)
        if cur:
            tokens.append("".join(cur))
    return tokens


class BertWordPiece:
    def __init__(self, vocab_tokens, max_input_chars_per_word=100):
        self.vocab = {t: i for i, t in enumerate(vocab_tokens)}
        assert len(self.vocab) == len(vocab_tokens), "duplicate vocab entries"
        self.max_chars = max_input_chars_per_word
        self.unk, self.pad = self.vocab["[UNK]"], self.vocab["[PAD]"]
        self.cls, self.sep = self.vocab["[CLS]"], self.vocab["[SEP]"]

    def wordpiece(self, word):
        if len(word) > self.max_chars:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end, cur = len(word), None
            while start < end:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in self.vocab:
                    cur = self.vocab[sub]
                    break
                end -= 1
            if cur is None:
                return [self.unk]                    # a word that cannot be fully decomposed -> one [UNK]
            ids.append(cur)
            start = end
        return ids

    def tokenize(self, text):
        ids = []
        for w in basic_tokenize(text):
            ids.extend(self.wordpiece(w))
        return ids

    def encode_batch(self, texts, max_length=MAX_LENGTH):
        seqs = [[self.cls] + self.tokenize(t)[:max_length - 2] + [self.sep] for t in texts]
        L = max(len(s) for s in seqs)
        ids = np.full((len(seqs), L), self.pad, np.int64)
        mask = np.zeros((len(seqs), L), np.int64)
        for r, s in enumerate(seqs):
            ids[r, :len(s)] = s
            mask[r, :len(s)] = 1
        return ids, mask


def tokenizer_self_test():
    """Cases from HuggingFace's BertTokenizer unit tests (tests/models/bert/test_tokenization_bert.py)."""
    assert basic_tokenize("ah\u535A\u63A8zz") == ["ah", "\u535A", "\u63A8", "zz"]
    assert basic_tokenize(" \tHeLLo!how  \n Are yoU?  ") == ["hello", "!", "how", "are", "you", "?"]
    assert basic_tokenize(" \tH\u00e4LLo!how  \n Are yoU?  ") == ["hallo", "!", "how", "are", "you", "?"]
    assert basic_tokenize("don't \u201cquote\u201d a\x00b\ufffd") == ["don", "'", "t", "\u201c", "quote", "\u201d", "ab"]
    wp = BertWordPiece(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing"])
    names = {i: t for t, i in wp.vocab.items()}
    assert [names[i] for i in wp.tokenize("")] == []
    assert [names[i] for i in wp.tokenize("unwanted running")] == ["un", "##want", "##ed", "runn", "##ing"]
    assert [names[i] for i in wp.tokenize("unwantedX running")] == ["[UNK]", "runn", "##ing"]
    assert wp.tokenize("a" * 101) == [wp.unk]


# ---------------------------------------------------------------- data
R_EXPORT = ('library(janeaustenr); out <- commandArgs(trailingOnly = TRUE)[1]; '
            'for (b in c(%s)) writeLines(enc2utf8(get(b)), file.path(out, paste0(b, ".txt")), useBytes = TRUE)'
            % ", ".join(f'"{b}"' for b, _ in BOOKS))
HEADING = re.compile(r"^(CHAPTER|VOLUME|Chapter)\b|^[A-Z0-9 .,&]+$")


def load_books():
    texts = {}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["Rscript", "-e", R_EXPORT, tmp], check=True)
        for b, _ in BOOKS:
            with open(os.path.join(tmp, b + ".txt"), encoding="utf-8") as f:
                texts[b] = f.read().split("\n")
    return texts


def passages(lines):
    """Runs of consecutive non-empty lines (paragraphs) cut into passages of 3 lines (a 1-line tail joins the
    previous passage -> 4); one-line paragraphs are kept when they have >= 8 words. Headings are dropped."""
    paras, cur = [], []
    for ln in lines + [""]:
        s = ln.strip()
        if s and not HEADING.match(s) and "Jane Austen" not in s:
            cur.append(s)
        elif cur:
            paras.append(cur)
            cur = []
    out = []
    for p in paras:
        chunks = [p[i:i + 3] for i in range(0, len(p), 3)]
        if len(chunks) > 1 and len(chunks[-1]) == 1:
            tail = chunks.pop()
            chunks[-1] = chunks[-1] + tail
        for c in chunks:
            text = " ".join(c)
            if len(c) > 1 or len(text.split()) >= 8:
                out.append(text)
    return out


# ---------------------------------------------------------------- model
class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab_size, n_classes):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, EMB_DIM)
        self.fc = nn.Linear(EMB_DIM, n_classes)

    def logits(self, input_ids, attention_mask):
        m = attention_mask.to(torch.float32).unsqueeze(-1)              # [N,L,1]
        summed = (self.emb(input_ids) * m).sum(1)                        # [N,64]
        count = torch.clamp(m.sum(1), min=1.0)                           # [N,1]
        return self.fc(summed / count)

    def forward(self, input_ids, attention_mask):
        return torch.softmax(self.logits(input_ids, attention_mask), dim=1)


def run_onnx_numpy(model, feeds):
    """numpy evaluation (float32) of the ops in the exported graph, per the ONNX operator definitions."""
    from onnx import numpy_helper
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for n in model.graph.node:
        at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        i = [env[name] if name else None for name in n.input]
        op = n.op_type
        if op == "Constant":
            y = numpy_helper.to_array(at["value"])
        elif op == "Gather":
            assert at.get("axis", 0) == 0
            y = np.take(i[0], i[1], axis=0)
        elif op == "Cast":
            assert at["to"] == onnx.TensorProto.FLOAT
            y = i[0].astype(f32)
        elif op == "Unsqueeze":
            y = np.expand_dims(i[0], tuple(int(a) for a in i[1]))
        elif op == "Mul":
            y = (i[0] * i[1]).astype(f32)
        elif op == "Div":
            y = (i[0] / i[1]).astype(f32)
        elif op == "ReduceSum":
            axes = tuple(int(a) for a in i[1])
            y = i[0].sum(axis=axes, keepdims=bool(at.get("keepdims", 1))).astype(f32)
        elif op == "Clip":
            lo = i[1] if len(i) > 1 and i[1] is not None else -np.inf
            hi = i[2] if len(i) > 2 and i[2] is not None else np.inf
            y = np.clip(i[0], lo, hi).astype(f32)
        elif op == "Gemm":
            assert at.get("transB", 0) == 1 and at.get("transA", 0) == 0
            y = (at.get("alpha", 1.0) * (i[0] @ i[1].T) + at.get("beta", 1.0) * i[2]).astype(f32)
        elif op == "Softmax":
            assert at.get("axis", -1) in (1, -1)
            e = np.exp(i[0] - i[0].max(1, keepdims=True))
            y = (e / e.sum(1, keepdims=True)).astype(f32)
        else:
            raise ValueError(f"unexpected op {op}")
        env[n.output[0]] = y
    return env[model.graph.output[0].name]


# ---------------------------------------------------------------- main
def build_vocab(train_texts):
    counts = collections.Counter()
    chars = set()
    for t in train_texts:
        words = basic_tokenize(t)
        counts.update(words)
        for w in words:
            chars.update(w)
    vocab = list(SPECIALS)
    seen = set(vocab)
    for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) - len(SPECIALS) >= MAX_WORDS or c < MIN_COUNT:
            break
        vocab.append(w)
        seen.add(w)
    for ch in sorted(chars):
        for tok in (ch, "##" + ch):
            if tok not in seen:
                vocab.append(tok)
                seen.add(tok)
    return vocab, len(chars)


def predict(model, tok, texts, batch=256):
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), batch):
            ids, mask = tok.encode_batch(texts[i:i + batch])
            out.append(model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy())
    return np.concatenate(out)


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    tokenizer_self_test()
    books = load_books()
    texts, y = [], []
    for k, (b, name) in enumerate(BOOKS):
        ps = passages(books[b])
        texts += ps
        y += [k] * len(ps)
        print(f"{name}: {len(books[b])} lines -> {len(ps)} passages")
    y = np.array(y)
    idx_tr, idx_te = train_test_split(np.arange(len(texts)), test_size=0.2, stratify=y, random_state=SEED)
    tr_texts, te_texts = [texts[i] for i in idx_tr], [texts[i] for i in idx_te]
    y_tr, y_te = y[idx_tr], y[idx_te]
    print(f"{len(texts)} passages: {len(tr_texts)} train / {len(te_texts)} held-out (stratified by novel, "
          f"random_state={SEED})")

    vocab, n_chars = build_vocab(tr_texts)
    tok = BertWordPiece(vocab)
    print(f"vocab: {len(vocab)} tokens ({len(SPECIALS)} special, {len(vocab) - len(SPECIALS) - 2 * n_chars}"
          f"+ words, {n_chars} characters and their ## forms)")
    te_tok = [tok.tokenize(t) for t in te_texts]
    n_unk = sum(s.count(tok.unk) for s in te_tok)
    n_trunc = sum(len(s) > MAX_LENGTH - 2 for s in te_tok)
    print(f"held-out: {sum(map(len, te_tok))} wordpieces, {n_unk} [UNK], {n_trunc} passages truncated to "
          f"{MAX_LENGTH}")

    enc_tr = [[tok.cls] + tok.tokenize(t)[:MAX_LENGTH - 2] + [tok.sep] for t in tr_texts]
    model = BagOfEmbeddings(len(vocab), len(LABELS))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    lossf = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    ytr_t = torch.from_numpy(y_tr)
    t0 = time.time()
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(enc_tr), generator=gen).tolist()
        total = 0.0
        for i in range(0, len(perm), BATCH):
            bidx = perm[i:i + BATCH]
            L = max(len(enc_tr[j]) for j in bidx)
            ids = torch.zeros((len(bidx), L), dtype=torch.int64)
            mask = torch.zeros((len(bidx), L), dtype=torch.int64)
            for r, j in enumerate(bidx):
                ids[r, :len(enc_tr[j])] = torch.tensor(enc_tr[j])
                mask[r, :len(enc_tr[j])] = 1
            opt.zero_grad()
            loss = lossf(model.logits(ids, mask), ytr_t[bidx])
            loss.backward()
            opt.step()
            total += loss.item() * len(bidx)
        model.eval()
        print(f"epoch {epoch + 1}/{EPOCHS}: train loss {total / len(enc_tr):.4f} ({time.time() - t0:.0f}s)")

    probs = predict(model, tok, te_texts)
    pred = probs.argmax(1)
    acc, ll = accuracy_score(y_te, pred), log_loss(y_te, probs, labels=list(range(len(LABELS))))
    tr_acc = accuracy_score(y_tr, predict(model, tok, tr_texts).argmax(1))
    print(f"train accuracy {tr_acc:.4f}; held-out accuracy {acc:.4f} ({int((pred == y_te).sum())}/{len(y_te)}), "
          f"log loss {ll:.4f}; majority-class baseline {np.bincount(y_te).max() / len(y_te):.4f}")
    cm = confusion_matrix(y_te, pred)
    print("held-out confusion matrix (rows true, cols predicted):\n", cm)
    per_class = {LABELS[k]: round(float(cm[k, k] / cm[k].sum()), 4) for k in range(len(LABELS))}
    print("held-out recall per novel:", per_class)

    # ---- export
    vdir = os.path.join(HERE, "1")
    os.makedirs(vdir, exist_ok=True)
    onnx_path = os.path.join(vdir, "model.onnx")
    ex_ids, ex_mask = tok.encode_batch(["An example passage.", "Another, longer example passage for export."])
    torch.onnx.export(model, (torch.from_numpy(ex_ids), torch.from_numpy(ex_mask)), onnx_path,
                      input_names=["input_ids", "attention_mask"], output_names=["probabilities"],
                      dynamic_axes={"input_ids": {0: "N", 1: "L"}, "attention_mask": {0: "N", 1: "L"},
                                    "probabilities": {0: "N"}},
                      opset_version=17, do_constant_folding=True)
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    print(f"exported {onnx_path} ({os.path.getsize(onnx_path)} bytes); ops: {[n.op_type for n in m.graph.node]}")
    ids, mask = tok.encode_batch(te_texts[:256])
    got = run_onnx_numpy(m, {"input_ids": ids, "attention_mask": mask})
    err = float(np.abs(got - probs[:256]).max())
    print(f"numpy evaluation of the ONNX graph vs PyTorch (256 held-out passages, one padded batch): "
          f"max |dprob| = {err:.2e}")
    assert err < 1e-5

    with open(os.path.join(vdir, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(t + "\n" for t in vocab))
    pipeline = {"kind": "text", "input_ids": "input_ids", "attention_mask": "attention_mask",
                "tokenizer": {"type": "bert_wordpiece", "vocab": "vocab.txt", "lowercase": True,
                              "unk_token": "[UNK]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                              "sep_token": "[SEP]"},
                "max_length": MAX_LENGTH, "max_text_chars": MAX_TEXT_CHARS,
                "postprocess": {"type": "classification", "probabilities": "probabilities",
                                "labels": LABELS, "top_k": TOP_K}}
    with open(os.path.join(vdir, "pipeline.json"), "w") as f:
        json.dump(pipeline, f, indent=2)
        f.write("\n")
    spec = {
        "name": "austen",
        "platform": "onnx",
        "description": "Which of Jane Austen's six novels a passage of text comes from (bag of WordPiece "
                       "embeddings); text is tokenised by the version's pipeline.json + vocab.txt.",
        "task": "classification",
        "max_batch_size": 64,
        "inputs": [{"name": "input_ids", "datatype": "INT64", "shape": [-1, -1]},
                   {"name": "attention_mask", "datatype": "INT64", "shape": [-1, -1]}],
        "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, len(LABELS)]}],
        "version_policy": {"latest": {"num_versions": 1}},
        "labels": {"stable": 1},
    }
    with open(os.path.join(HERE, "model.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")

    # ---- fixture: 6 held-out passages, 1 crafted typographic/accented variant of a held-out passage,
    #      1 very short held-out snippet
    rng = np.random.default_rng(SEED + 1)
    pick = [int(j) for j in rng.choice(len(te_texts), 7, replace=False)]
    recs = [te_texts[j] for j in pick[:6]]
    true = [LABELS[y_te[j]] for j in pick[:6]]
    base = te_texts[pick[6]]
    fancy = ("\u201c" + base.replace("'", "\u2019").replace("--", " \u2014 ").replace("Mr.", "M\u00e9r.")
             + "\u201d \u2026 Caf\u00e9, na\u00efve r\u00f4le! \u00c9LAN\u00a0and\tso\u2009on; (\u00bfs\u00ed?) "
             "\u6f22\u5b57 \u00df\u00e6\u00f8")
    recs.append(fancy)
    true.append(LABELS[y_te[pick[6]]])
    short_src = next(j for j in range(len(te_texts)) if j not in pick)
    recs.append(" ".join(te_texts[short_src].split()[:3]))
    true.append(LABELS[y_te[short_src]])
    records = [{"text": t} for t in recs]
    ids, mask = tok.encode_batch(recs)
    with torch.no_grad():
        pf = model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy().astype(f32)
    assert np.abs(run_onnx_numpy(m, {"input_ids": ids, "attention_mask": mask}) - pf).max() < 1e-5
    preds = []
    for p in pf:
        order = np.argsort(-p, kind="stable")[:TOP_K]
        preds.append({"label": LABELS[int(order[0])],
                      "top_k": [{"label": LABELS[int(i)], "score": f32_json(p[i])} for i in order]})
    inv = {i: t for t, i in tok.vocab.items()}
    fixture = {
        "model": "austen", "version": 1,
        "records": records,
        "tensors": {"input_ids": {"datatype": "INT64", "shape": list(ids.shape), "data": [int(v) for v in ids.ravel()]},
                    "attention_mask": {"datatype": "INT64", "shape": list(mask.shape),
                                       "data": [int(v) for v in mask.ravel()]}},
        "outputs": {"probabilities": {"datatype": "FP32", "shape": list(pf.shape),
                                      "data": [f32_json(v) for v in pf.ravel()]}},
        "predictions": preds,
        "true_labels": true,
        "tokens": [[inv[int(i)] for i, mk in zip(r, mr) if mk] for r, mr in zip(ids, mask)],
    }
    fx_dir = os.path.join(REPO, "tests", "fixtures", "austen")
    os.makedirs(fx_dir, exist_ok=True)
    with open(os.path.join(fx_dir, "pipeline.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False)
        f.write("\n")
    print(f"fixture: {len(records)} records, ids shape {list(ids.shape)}; "
          f"{sum(p['label'] == t for p, t in zip(preds, true))}/{len(true)} correct")
    print("crafted record tokens:", fixture["tokens"][6][-40:])
    return acc, ll


if __name__ == "__main__":
    main()
