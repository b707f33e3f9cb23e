#!/usr/bin/env python3
"""Generate reference sentence embeddings for all-MiniLM-L6-v2 from sentence-transformers.

Writes Tests/VerityModelsTests/Fixtures/embedding_vectors.json: for each text, the token ids
sentence-transformers feeds the model and the 384-float embedding it returns from

    SentenceTransformer(MODEL_DIR, device="cpu").encode([text], normalize_embeddings=True)

The model's modules.json is Transformer -> Pooling -> Normalize: BertModel (6 layers, hidden
384, 12 heads, GELU, LayerNorm eps 1e-12) over at most 256 tokens (max_seq_length in
sentence_bert_config.json), then the mean of last_hidden_state over the tokens whose
attention mask is 1 ([CLS] and [SEP] included, padding excluded), then L2 normalization.
This script checks its understanding of that pipeline before writing anything: it recomputes
every embedding from the model's last_hidden_state with its own mean pooling and
normalization and requires agreement with sentence-transformers' output, and it requires the
ids to equal what `tokenizers` alone makes from tokenizer.json with truncation to 256 and no
padding (the recipe of gen_tokenizer_vectors.py).

Each text is encoded on its own (batch of one, no padding) with one torch thread, so every
embedding depends on its text only and two runs on one machine give identical files.
Floats are written with repr(float(x)) of the float32 value, which parses back exactly. The
last bits can differ on another CPU (different SIMD paths in the BLAS), so CI does not
regenerate this file: compare with a tolerance (values agree to ~1e-6).

Needs PyTorch, so it runs in .venv-ref (scripts/reference-env), not in CI's .venv:
    .venv-ref/bin/python Tests/VerityModelsTests/Fixtures/gen_embedding_vectors.py [OUTPUT.json [MODEL_DIR]]
OUTPUT defaults to embedding_vectors.json beside this script. MODEL_DIR defaults to
$VERITY_MODEL_DIR, else ~/.cache/verity/models/all-MiniLM-L6-v2.
"""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

GENERATOR = "Tests/VerityModelsTests/Fixtures/gen_embedding_vectors.py"
OUT = Path(__file__).resolve().parent / "embedding_vectors.json"
DEFAULT_MODEL_DIR = Path("~/.cache/verity/models/all-MiniLM-L6-v2").expanduser()
DIM = 384
MAX_LENGTH = 256
MIN_CASES = 55

# The benchmark inputs of scripts/bench-embed-inputs.json (short: 12 tokens, long: 206).
BENCH_SHORT = "The quick brown fox jumps over the lazy dog."
BENCH_LONG = (
    "Verity is a Solana-compatible layer two network for verifiable machine learning inference. "
    "Providers stake tokens and register the models they can serve, such as small sentence "
    "embedding models, and the network matches each inference job with free capacity and pays "
    "for it from escrow. While a provider runs a job, its tensor runtime records an execution "
    "trace of every matrix multiplication. Auditors later sample parts of that trace and check "
    "the products with Freivalds' randomized algorithm, which needs only a few matrix-vector "
    "products instead of a full multiplication. A provider caught returning wrong results loses "
    "part of its stake, and honest providers earn fees. Batches of settled jobs are committed to "
    "Solana as Merkle roots, so anyone can later prove that a given result was included. Because "
    "the runtime is written in Swift and keeps its own kernels, its numbers can be reproduced on "
    "ordinary servers. The first models offered on the network are small text encoders with a "
    "few dozen million parameters."
)

LONG_EN = (
    "The history of computing is a story of abstraction layered on abstraction. Early machines "
    "were programmed by rewiring panels; later, stored programs let the same hardware run any "
    "algorithm. Compilers freed programmers from machine code, operating systems from managing "
    "devices by hand, and networks let computers cooperate across continents. Each layer hid "
    "details below it while exposing new possibilities above. "
)

TEXTS: list[str] = [
    # short English, including near-paraphrases and unrelated pairs
    "This is an example sentence",
    "Each sentence is converted",
    "The cat sits outside",
    "A man is playing guitar",
    "The new movie is awesome",
    "The dog plays in the garden",
    "A woman watches TV",
    "The new movie is so great",
    "How do I bake sourdough bread at home?",
    "What is the best way to learn to bake bread?",
    "Quarterly revenue grew by twelve percent.",
    "hello",
    "Hello",
    "HELLO WORLD",
    "a",
    BENCH_SHORT,
    "I can't believe it's not butter!",
    "Don't split contractions incorrectly, e.g. \"won't\" and \"shouldn't\".",
    # edge inputs
    "",
    " ",
    "\t\n",
    ".",
    "!!!???...",
    "(-_-) [*] {#} <@> ~^|",
    "1234567890",
    "$3.50 + €5,99 = 9.49",
    "2024-03-15T10:00:00Z",
    "https://example.com/path?query=1&x=y#frag",
    "user.name+tag@example.co.uk",
    "def f(x): return x**2 + 1",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "x" * 150,  # one word longer than 100 characters: a single [UNK]
    "café naïve Ångström e\u0301 Crème brûlée",
    "zero\u200bwidth\u00a0spaces\u3000and\u0000controls\u0007\ufffd",
    "ThIs SeNtEnCe HaS wEiRd CaPiTaLiZaTiOn",
    # emoji
    "👍",
    "I love pizza 🍕🍕🍕",
    "👨\u200d👩\u200d👧 family trip 🇫🇷 ✈️",
    "🎉🎉🎉",
    # multilingual
    "Le café était déjà fermé quand nous sommes arrivés.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "¿Dónde está la biblioteca?",
    "自然语言处理是人工智能的一个重要分支。",
    "日本語のテキストです。",
    "안녕하세요, 세계!",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "Γειά σου Κόσμε",
    "สวัสดีครับ",
    "Tiếng Việt có dấu",
    # long: up to and beyond 256 tokens (truncation matters)
    BENCH_LONG,
    LONG_EN,
    LONG_EN * 2,
    LONG_EN * 4,
    "word " * 254,
    "word " * 300,
    ("Le café était déjà fermé quand nous sommes arrivés à Montréal ; l'hôtel restait "
     "ouvert toute la nuit. ") * 10,
    "自然语言处理是人工智能的一个重要分支，它研究如何让计算机理解和生成人类语言。" * 8,
    "unbelievably " * 200,
]


def model_dir() -> Path:
    if len(sys.argv) > 2:
        return Path(sys.argv[2]).expanduser()
    env = os.environ.get("VERITY_MODEL_DIR")
    return Path(env).expanduser() if env else DEFAULT_MODEL_DIR


def check_pipeline(mdir: Path) -> None:
    modules = json.loads((mdir / "modules.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    assert kinds == ["Transformer", "Pooling", "Normalize"], kinds
    pooling = json.loads((mdir / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not any(
        pooling[k] for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                             "pooling_mode_mean_sqrt_len_tokens")), pooling
    st_cfg = json.loads((mdir / "sentence_bert_config.json").read_text())
    assert st_cfg["max_seq_length"] == MAX_LENGTH, st_cfg


def dump(doc: dict) -> str:
    """JSON, one case per line, ASCII only."""
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if key == "cases":
            lines.append(f" {json.dumps(key)}: [")
            for j, case in enumerate(value):
                ccomma = "," if j + 1 < len(value) else ""
                emb = ",".join(repr(float(x)) for x in case["embedding"])
                lines.append(
                    "  {" + f"\"text\":{json.dumps(case['text'], ensure_ascii=True)},"
                    f"\"ids\":{json.dumps(case['ids'], separators=(',', ':'))},"
                    f"\"embedding\":[{emb}]" + "}" + ccomma)
            lines.append(" ]" + comma)
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=True)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    mdir = model_dir()
    if not (mdir / "model.safetensors").is_file():
        print(f"error: no model.safetensors in {mdir} (set VERITY_MODEL_DIR or pass MODEL_DIR)",
              file=sys.stderr)
        return 2
    check_pipeline(mdir)

    model = SentenceTransformer(str(mdir), device="cpu")
    model.eval()
    assert model.max_seq_length == MAX_LENGTH, model.max_seq_length

    ref_tok = Tokenizer.from_file(str(mdir / "tokenizer.json"))
    ref_tok.no_padding()
    ref_tok.enable_truncation(max_length=MAX_LENGTH)

    assert len(set(TEXTS)) == len(TEXTS), "duplicate text"
    assert len(TEXTS) >= MIN_CASES, len(TEXTS)
    cases = []
    worst_cos = 1.0
    for text in TEXTS:
        # What sentence-transformers feeds the model for this text.
        features = model.preprocess([text])
        ids = features["input_ids"][0].tolist()
        mask = features["attention_mask"][0].tolist()
        assert all(m == 1 for m in mask), "a single text must not be padded"
        assert ids == ref_tok.encode(text).ids, (text, ids)
        assert len(ids) <= MAX_LENGTH

        emb = model.encode([text], normalize_embeddings=True, convert_to_numpy=True,
                           batch_size=1, show_progress_bar=False)[0].astype(np.float32)
        assert emb.shape == (DIM,), emb.shape
        assert abs(float(np.linalg.norm(emb.astype(np.float64))) - 1.0) < 1e-5

        # Independent recomputation: BertModel last_hidden_state -> masked mean -> L2 norm.
        with torch.inference_mode():
            bert = model[0].model
            out = bert(input_ids=torch.tensor([ids]),
                       attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                       token_type_ids=torch.zeros(1, len(ids), dtype=torch.long))
            hidden = out.last_hidden_state[0].double().numpy()
        mine = hidden.mean(axis=0)
        mine /= np.linalg.norm(mine)
        cos = float(mine @ emb.astype(np.float64))
        worst_cos = min(worst_cos, cos)
        assert cos > 0.999999, (text, cos)

        cases.append({"text": text, "ids": ids, "embedding": emb.tolist()})

    assert sum(1 for c in cases if len(c["ids"]) == MAX_LENGTH) >= 5, "need truncated cases"
    doc = {
        "generator": GENERATOR,
        "versions": {
            "sentence_transformers": version("sentence-transformers"),
            "torch": torch.__version__,
            "transformers": version("transformers"),
            "tokenizers": version("tokenizers"),
        },
        "dim": DIM,
        "max_length": MAX_LENGTH,
        "cases": cases,
    }
    text = dump(doc)
    back = json.loads(text)
    for a, b in zip(back["cases"], cases):
        assert np.array_equal(np.asarray(a["embedding"], dtype=np.float32),
                              np.asarray(b["embedding"], dtype=np.float32))
    out = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="ascii")
    truncated = sum(1 for c in cases if len(c["ids"]) == MAX_LENGTH)
    print(f"wrote {out} ({len(text)} bytes): {len(cases)} cases, {truncated} truncated to "
          f"{MAX_LENGTH}; own mean-pool+normalize agrees with sentence-transformers, worst "
          f"cosine {worst_cos:.9f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
