#!/usr/bin/env python3
"""Reference latencies for all-MiniLM-L6-v2 sentence embeddings on the CPU.

The figures Verity's own tensor runtime is compared with. Measures, with the same inputs as
Verity's Swift benchmark (scripts/bench-embed-inputs.json: one 12-token sentence, one
206-token text, a batch of 32 sentences of 8-14 tokens padded to the longest, as
sentence-transformers pads):

  * ONNX Runtime: the model exported once with torch.onnx.export into
    ~/.cache/verity/reference/minilm.onnx (inputs input_ids, attention_mask, token_type_ids
    with dynamic batch and sequence axes; output last_hidden_state; checked against PyTorch
    after export; default graph optimizations, no extra fusion tools), then mean pooling over
    the attention mask and L2 normalization in numpy;
  * PyTorch: the transformers BertModel inside sentence-transformers, same pooling and
    normalization in torch, under torch.inference_mode;
  * sentence-transformers' encode() end to end (tokenization included), for reference;
  * numpy float32 matmul throughput for the three matrix shapes of one MiniLM layer with 128
    tokens: (128x384)(384x384), (128x384)(384x1536), (128x1536)(1536x384).

The model timings start from token ids (tokenization, timed separately, is excluded) and end
with the normalized embeddings. Each figure is the median of --runs runs (default 30) after
--warmup runs (default 5). Both runtimes use --threads threads (default 2). It also checks
that ONNX Runtime and PyTorch agree (cosine >= 0.99999 for every input) and prints the worst
cosine. Output lines look like

    onnxruntime 1.32.0  short(12 tok): 3.61 ms  long(206 tok): 32.1 ms  batch32: 51.0 ms
    numpy matmul 128x384x1536: 160.2 GFLOP/s (81.3 GFLOP per CPU-second)

numpy's BLAS is slowed down by the OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE variables that some
machines set; run it without them:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv-ref/bin/python scripts/bench-reference-embed.py

(scripts/reference-env creates .venv-ref with the pinned torch, sentence-transformers and
onnxruntime. The model folder defaults to $VERITY_MODEL_DIR, else
~/.cache/verity/models/all-MiniLM-L6-v2.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUTS = ROOT / "scripts" / "bench-embed-inputs.json"
DEFAULT_MODEL_DIR = Path(
    os.environ.get("VERITY_MODEL_DIR", "~/.cache/verity/models/all-MiniLM-L6-v2")).expanduser()
DEFAULT_ONNX = Path("~/.cache/verity/reference/minilm.onnx").expanduser()
MAX_LENGTH = 256
SLOW_BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=30, help="timed runs per figure (>= 20)")
    p.add_argument("--warmup", type=int, default=5, help="untimed runs first")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads for torch and ORT")
    p.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    p.add_argument("--onnx", type=Path, default=DEFAULT_ONNX, help="exported model (made once)")
    p.add_argument("--reexport", action="store_true", help="export the ONNX model again")
    p.add_argument("--inputs", type=Path, default=DEFAULT_INPUTS)
    args = p.parse_args()
    if args.runs < 20:
        p.error("--runs must be at least 20")
    return args


def median_ms(fn, runs: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def fmt_ms(ms: float) -> str:
    return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"


def describe_blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        import io
        from contextlib import redirect_stdout

        import numpy as np
        buf = io.StringIO()
        with redirect_stdout(buf):
            np.show_config()
        return buf.getvalue().strip()
    import numpy as np  # noqa: F401  (loads numpy's BLAS so threadpoolctl sees it)
    parts = []
    for info in threadpool_info():
        if info.get("user_api") != "blas":
            continue
        lib = Path(info.get("filepath", ""))
        parts.append(f"{info.get('internal_api')} {info.get('version')} "
                     f"({info.get('architecture')}, {info.get('num_threads')} threads, "
                     f"{lib.parent.name}/{lib.name})")
    return "; ".join(parts) or "no BLAS library found by threadpoolctl"


# --------------------------------------------------------------------------
# Inputs


def load_inputs(path: Path, tokenizer_json: Path):
    import numpy as np
    from tokenizers import Tokenizer

    doc = json.loads(path.read_text())
    tok = Tokenizer.from_file(str(tokenizer_json))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_LENGTH)

    def single(text: str) -> dict:
        ids = np.asarray([tok.encode(text).ids], dtype=np.int64)
        return {"input_ids": ids, "attention_mask": np.ones_like(ids),
                "token_type_ids": np.zeros_like(ids)}

    short, long_ = single(doc["short"]), single(doc["long"])
    tok.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of the batch
    encs = tok.encode_batch(doc["batch"])
    batch = {"input_ids": np.asarray([e.ids for e in encs], dtype=np.int64),
             "attention_mask": np.asarray([e.attention_mask for e in encs], dtype=np.int64)}
    batch["token_type_ids"] = np.zeros_like(batch["input_ids"])
    assert short["input_ids"].shape == (1, 12), short["input_ids"].shape
    assert long_["input_ids"].shape == (1, 206), long_["input_ids"].shape
    assert batch["input_ids"].shape[0] == 32, batch["input_ids"].shape

    tok.no_padding()
    tokenize_ms = {
        "short": median_ms(lambda: tok.encode(doc["short"]), 50, 5),
        "long": median_ms(lambda: tok.encode(doc["long"]), 50, 5),
        "batch": median_ms(lambda: tok.encode_batch(doc["batch"]), 50, 5),
    }
    texts = [doc["short"], doc["long"], *doc["batch"]]
    return {"short": short, "long": long_, "batch": batch}, texts, tokenize_ms


# --------------------------------------------------------------------------
# Backends


def np_pool(hidden, mask):
    import numpy as np
    m = mask.astype(np.float32)[:, :, None]
    summed = (hidden * m).sum(axis=1)
    mean = summed / np.maximum(m.sum(axis=1), 1e-9)
    return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)


class TorchBackend:
    def __init__(self, bert):
        import torch
        self.torch = torch
        self.bert = bert

    def embed(self, feats):
        torch = self.torch
        with torch.inference_mode():
            ids = torch.from_numpy(feats["input_ids"])
            mask = torch.from_numpy(feats["attention_mask"])
            hidden = self.bert(input_ids=ids, attention_mask=mask,
                               token_type_ids=torch.from_numpy(feats["token_type_ids"])
                               ).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1).numpy()


class OrtBackend:
    def __init__(self, path: Path, threads: int):
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), sess_options=opts,
                                            providers=["CPUExecutionProvider"])
        names = [i.name for i in self.session.get_inputs()]
        assert sorted(names) == sorted(ONNX_INPUTS), names

    def embed(self, feats):
        hidden = self.session.run(["last_hidden_state"], {k: feats[k] for k in ONNX_INPUTS})[0]
        return np_pool(hidden, feats["attention_mask"])


def export_onnx(bert, path: Path) -> None:
    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    wrapper = LastHidden(bert).eval()
    ids = torch.tensor([[101, 2023, 2003, 2019, 2742, 6251, 102],
                        [101, 2023, 2003, 102, 0, 0, 0]])
    example = (ids, (ids != 0).long(), torch.zeros_like(ids))
    batch = torch.export.Dim("batch")
    seq = torch.export.Dim("sequence", max=512)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.onnx")
    names = dict(input_names=list(ONNX_INPUTS), output_names=["last_hidden_state"])
    print(f"exporting the model to {path} (once) ...", flush=True)
    # The TorchScript exporter (dynamo=False) gives a graph that ONNX Runtime runs 5-10%
    # faster here than the torch.export-based one; the latter is the fallback for torch
    # versions without the former.
    try:
        torch.onnx.export(
            wrapper, example, str(tmp), dynamo=False, opset_version=17, **names,
            dynamic_axes={name: {0: "batch", 1: "sequence"}
                          for name in (*ONNX_INPUTS, "last_hidden_state")})
    except Exception as err:  # noqa: BLE001
        print(f"TorchScript export failed ({type(err).__name__}: {err}); using dynamo=True",
              flush=True)
        torch.onnx.export(
            wrapper, example, str(tmp), dynamo=True, external_data=False, opset_version=18,
            **names, dynamic_shapes={name: {0: batch, 1: seq} for name in ONNX_INPUTS})
    tmp.replace(path)
    check_onnx(wrapper, path)


def check_onnx(wrapper, path: Path) -> None:
    """The exported graph must reproduce PyTorch's last_hidden_state on fresh shapes."""
    import numpy as np
    import onnxruntime as ort
    import torch
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(0)
    for b, s in ((1, 5), (3, 40), (2, 256)):
        ids = torch.randint(1000, 20000, (b, s), generator=gen)
        mask = torch.ones_like(ids)
        mask[0, s // 2:] = 0 if b > 1 else 1
        tt = torch.zeros_like(ids)
        with torch.inference_mode():
            want = wrapper(ids, mask, tt).numpy()
        got = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                                 "token_type_ids": tt.numpy()})[0]
        keep = mask.numpy().astype(bool)
        err = float(np.abs(want - got)[keep].max())
        assert err < 1e-4, f"ONNX export differs from PyTorch by {err} at shape {(b, s)}"


def cosines(a, b):
    import numpy as np
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


# --------------------------------------------------------------------------


def bench_matmul(runs: int) -> list[tuple[str, float, float]]:
    import numpy as np
    rng = np.random.default_rng(0)
    out = []
    for m, k, n in ((128, 384, 384), (128, 384, 1536), (128, 1536, 384)):
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        # Several products per timing so one timing is well above the timer's resolution.
        reps = max(1, int(2e8 // (2 * m * k * n)))

        def step():
            for _ in range(reps):
                np.matmul(a, b, out=c)

        ms = median_ms(step, max(runs, 20), 5) / reps
        # The same products timed in process CPU time (every BLAS thread's), as Verity's
        # bench gemm reports: on a shared machine other load slows the wall clock, not this.
        cpu_start, count = time.process_time(), max(runs, 20) * reps
        for _ in range(max(runs, 20)):
            step()
        cpu_s = time.process_time() - cpu_start
        out.append((f"{m}x{k}x{n}", 2.0 * m * k * n / (ms * 1e-3) / 1e9, 2.0 * m * k * n * count / cpu_s / 1e9))
    return out


def main() -> int:
    args = parse_args()
    for var in SLOW_BLAS_VARS:
        if var in os.environ:
            print(f"warning: {var}={os.environ[var]} is set and slows numpy's OpenBLAS; run with "
                  f"env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE", file=sys.stderr)

    import numpy as np

    blas = describe_blas()  # before scipy (pulled in by sentence-transformers) loads its own
    import onnxruntime as ort
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print(f"cpu: {cpu}, {os.cpu_count()} logical cores; threads used: {args.threads}")
    print(f"python {platform.python_version()}  numpy {np.__version__}  torch {torch.__version__}"
          f"  onnxruntime {ort.__version__}  sentence-transformers "
          f"{version('sentence-transformers')}  transformers {version('transformers')}")
    print(f"numpy BLAS: {blas}")

    mdir = args.model_dir
    if not (mdir / "model.safetensors").is_file():
        print(f"error: no model.safetensors in {mdir}", file=sys.stderr)
        return 2
    feats, texts, tokenize_ms = load_inputs(args.inputs, mdir / "tokenizer.json")
    print(f"inputs: short {feats['short']['input_ids'].shape[1]} tokens, long "
          f"{feats['long']['input_ids'].shape[1]} tokens, batch "
          f"{'x'.join(map(str, feats['batch']['input_ids'].shape))} (padded to the longest)")
    print(f"tokenizers {version('tokenizers')} (not included below)  short: "
          f"{fmt_ms(tokenize_ms['short'])}  long: {fmt_ms(tokenize_ms['long'])}  batch32: "
          f"{fmt_ms(tokenize_ms['batch'])}")

    st = SentenceTransformer(str(mdir), device="cpu")
    st.eval()
    bert = st[0].model
    torch_be = TorchBackend(bert)

    if args.reexport or not args.onnx.is_file():
        export_onnx(bert, args.onnx)
    ort_be = OrtBackend(args.onnx, args.threads)

    # Agreement: ORT vs PyTorch vs sentence-transformers' own encode(), on all 34 texts.
    def all_embeddings(backend):
        return np.concatenate([backend.embed(feats["short"]), backend.embed(feats["long"]),
                               backend.embed(feats["batch"])])

    e_ort, e_torch = all_embeddings(ort_be), all_embeddings(torch_be)
    e_st = st.encode(texts, normalize_embeddings=True, convert_to_numpy=True,
                     show_progress_bar=False)
    cos_ort_torch = float(cosines(e_ort, e_torch).min())
    cos_torch_st = float(cosines(e_torch, e_st).min())
    ok = cos_ort_torch >= 0.99999 and cos_torch_st >= 0.99999
    print(f"agreement over {len(texts)} texts: min cosine onnxruntime vs torch "
          f"{cos_ort_torch:.9f}, torch vs sentence-transformers encode {cos_torch_st:.9f}, max |diff| "
          f"onnxruntime vs torch {float(np.abs(e_ort - e_torch).max()):.2e}"
          f"  -> {'OK' if ok else 'MISMATCH'}")

    def line(name, embed):
        ms = {k: median_ms(lambda k=k: embed(feats[k]), args.runs, args.warmup)
              for k in ("short", "long", "batch")}
        print(f"{name}  short(12 tok): {fmt_ms(ms['short'])}  long(206 tok): "
              f"{fmt_ms(ms['long'])}  batch32: {fmt_ms(ms['batch'])}", flush=True)

    line(f"onnxruntime {ort.__version__}", ort_be.embed)
    line(f"torch {torch.__version__}", torch_be.embed)
    doc = json.loads(args.inputs.read_text())
    encode_inputs = {"short": [doc["short"]], "long": [doc["long"]], "batch": doc["batch"]}

    def st_encode(key_or_feats):
        return st.encode(key_or_feats, batch_size=32, normalize_embeddings=True,
                         convert_to_numpy=True, show_progress_bar=False)

    ms = {k: median_ms(lambda k=k: st_encode(encode_inputs[k]), args.runs, args.warmup)
          for k in ("short", "long", "batch")}
    print(f"sentence-transformers {version('sentence-transformers')} encode (with tokenization)"
          f"  short(12 tok): {fmt_ms(ms['short'])}  long(206 tok): {fmt_ms(ms['long'])}  "
          f"batch32: {fmt_ms(ms['batch'])}", flush=True)

    for shape, gflops, per_cpu in bench_matmul(args.runs):
        print(f"numpy matmul {shape}: {gflops:.1f} GFLOP/s ({per_cpu:.1f} GFLOP per CPU-second)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
