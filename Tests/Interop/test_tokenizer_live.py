"""Live comparison of `verity tokenize` with the Hugging Face `tokenizers` package.

The committed fixture (Tests/VerityModelsTests/Fixtures/tokenizer_vectors.json) pins 458
cases; this test draws fresh ones from a seeded mix of scripts, marks, emoji, controls,
whitespace and punctuation, tokenizes them with both, and requires identical ids (with the
256-token truncation sentence-transformers uses, and no padding).

Needs VERITY_BIN (the verity binary) and VERITY_MODEL_DIR (the all-MiniLM-L6-v2 folder);
scripts/test sets both.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest
from tokenizers import Tokenizer

POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    " \t\n\r\u00a0\u3000\u2028\u200b\u200d\ufeff\u00ad\x0b\x0c\x85",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»—–…‘’“”•·",
    "éèêëàâäôöûüçñÅåØøßæœÉÈÍÓÚ",
    "\u0301\u0308\u0327\u0303",
    "中文字符測試日本語のテキスト한국어텍스트",
    "АБВГДабвгдЁёΣσςΑΒΓαβγΔ",
    "عربيעבריתไทยहिन्दी",
    "😀🎉👍🏽🇫🇷👩‍💻❤️✨🚀",
    "\x00\x07\x1b\ufffd\ue000",
    "€£¥₿∑∫≈≠≤≥πµ°±×÷",
]
SPECIAL = ["[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]", "[cls]"]
WORDS = ["verity", "solana", "inference", "transformer", "unbelievably", "tokenization", "the", "of"]


def random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 12)):
        roll = rng.random()
        if roll < 0.35:
            parts.append(rng.choice(WORDS))
        elif roll < 0.4:
            parts.append(rng.choice(SPECIAL))
        elif roll < 0.45:
            parts.append(rng.choice(WORDS) * rng.randint(10, 30))  # very long words
        else:
            pool = rng.choice(POOLS)
            parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 8))))
        parts.append(rng.choice(["", " ", "  ", "\n", "\t"]))
    return "".join(parts)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    path = os.environ.get("VERITY_MODEL_DIR")
    if not path or not (Path(path) / "tokenizer.json").is_file():
        pytest.fail("VERITY_MODEL_DIR must name the all-MiniLM-L6-v2 folder (run `verity model fetch minilm`)", pytrace=False)
    return Path(path)


@pytest.fixture(scope="module")
def verity_bin() -> str:
    path = os.environ.get("VERITY_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("VERITY_BIN must name the verity binary", pytrace=False)
    return path


def verity_tokenize(verity_bin: str, model_dir: Path, texts: list[str], tmp_path: Path) -> list[list[int]]:
    source = tmp_path / "texts.jsonl"
    source.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
    proc = subprocess.run([verity_bin, "tokenize", "--model", str(model_dir), "--input-file", str(source), "--jsonl"],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.split("\n") if line]
    assert [line["text"] for line in lines] == texts
    return [line["tokens"] for line in lines]


def test_random_texts_match_tokenizers(verity_bin, model_dir, tmp_path):
    reference = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    reference.no_padding()
    reference.enable_truncation(max_length=256)
    rng = random.Random(20261125)
    texts = [random_text(rng) for _ in range(600)]
    texts += ["word " * 400, "", " ", "[CLS][SEP]", "x[MASK]y"]
    ours = verity_tokenize(verity_bin, model_dir, texts, tmp_path)
    theirs = [enc.ids for enc in reference.encode_batch(texts)]
    mismatches = [(t, a, b) for t, a, b in zip(texts, ours, theirs) if a != b]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ; first: {mismatches[0][0]!r}: {mismatches[0][1][:20]} vs {mismatches[0][2][:20]}"


def test_tokenize_rejects_bad_input(verity_bin, model_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n", encoding="utf-8")
    for args in (["--input-file", str(bad), "--jsonl"], ["--input-file", str(tmp_path / "missing.txt")], []):
        proc = subprocess.run([verity_bin, "tokenize", "--model", str(model_dir), *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and proc.stdout == ""
        assert len(proc.stderr.strip().split("\n")) == 1, proc.stderr
    proc = subprocess.run([verity_bin, "tokenize", "--model", "no-such-model", "hello"], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "unknown model" in proc.stderr


def test_embed_cli_rejects_bad_input(verity_bin, model_dir, tmp_path):
    for args in (["--model", "no-such-model", "hi"], ["--model", str(model_dir)], ["--model", str(tmp_path), "hi"]):
        proc = subprocess.run([verity_bin, "embed", *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and proc.stdout == "", args
        assert len(proc.stderr.strip().split("\n")) == 1, proc.stderr
    proc = subprocess.run([verity_bin, "embed", "--model", str(model_dir), "hello world"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    line = json.loads(proc.stdout)
    assert line["text"] == "hello world" and line["tokens"] == [101, 7592, 2088, 102]
    assert len(line["embedding"]) == 384
    assert abs(sum(v * v for v in line["embedding"]) - 1) < 1e-5
