"""Writes BLAKE3 known-answer vectors for Verity's own BLAKE3 (VerityKernels/Blake3.swift).

The digests come from the `blake3` package (Python bindings of the BLAKE3 team's Rust crate),
pinned in Tests/Interop/requirements.txt. Inputs are byte i = i mod 251, the convention of the
official test vectors, at lengths around every block, chunk and SIMD-batch boundary.

Usage: .venv/bin/python gen_blake3_vectors.py OUT.json
"""
import json
import sys
from importlib.metadata import version

import blake3

LENGTHS = sorted(set(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 2048, 2049, 3072, 3073,
     4096, 4097, 5120, 5121, 6144, 6145, 7168, 7169, 8192, 8193, 16384, 31744, 102400]
    # Batches of 8 and 16 chunks, with one chunk or one byte on either side, and a tree whose
    # levels have odd node counts.
    + [c * 1024 + d for c in (7, 8, 9, 15, 16, 17, 33) for d in (-1, 0, 1)]
    + [1536 * 4 * 206, 1 << 20, (1 << 20) + 12345]
    # MiniLM's tensors at 134 tokens (384, 1152 and 1536 floats a row): whole chunks whose last
    # group of sixteen is partial, and whose parents leave partial groups at every level.
    + [134 * 384 * 4, 134 * 1152 * 4, 134 * 1536 * 4]
    # And at 17 tokens: a 384-wide activation and the qkv end in half a chunk.
    + [17 * 384 * 4, 17 * 1152 * 4]
    # Where a multi-threaded hash cuts the tree into subtrees: one byte either side of every
    # power of two of chunks up to 4 MiB, a short last subtree, and inputs of 3 to 5 MB.
    + [1024 * (1 << k) + d for k in range(1, 13) for d in (-1, 0, 1)]
    + [31 * 1024 + 7, 3 * (1 << 20) + 1, 3 * (1 << 20) + 512 * 1024 + 3, 5 * (1 << 20) - 1]
))


def main() -> None:
    out = sys.argv[1]
    vectors = [
        {"length": n, "hash": blake3.blake3(bytes(i % 251 for i in range(n))).hexdigest()}
        for n in LENGTHS
    ]
    with open(out, "w") as f:
        json.dump({"generator": f"blake3 {version('blake3')}", "input": "byte i = i mod 251", "vectors": vectors}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
