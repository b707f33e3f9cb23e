#!/usr/bin/env python3
"""Reference throughput numbers for Verity's core crypto, single-threaded.

Measures, on one core:
  * Ed25519 verifications per second with solders (Rust ed25519-dalek);
  * the same with the `cryptography` package (OpenSSL), when it is installed;
  * VersionedTransaction.from_bytes + signature verification of a
    one-signature System transfer, per second, with solders.

Each measurement cycles over 1000 distinct (key, 100-byte message) pairs (or
1000 distinct transactions) for about --seconds seconds (default 2) and prints
one line, e.g.

    reference ed25519 verify (solders/ed25519-dalek): 18345 /s per core

Run:  .venv/bin/python scripts/bench-reference-core.py [--seconds 2]
(scripts/python-env creates .venv.)
"""

from __future__ import annotations

import argparse
import os
import random
import time

import solders.system_program as sp
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction, VersionedTransaction

PAIRS = 1000
MESSAGE_LEN = 100


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass


def rate(step, items, seconds: float) -> float:
    """Calls step(item) over items, round after round, for about `seconds`."""
    for item in items[:50]:  # warm up
        step(item)
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for item in items:
            step(item)
        done += len(items)
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


def make_pairs(rng: random.Random) -> list[tuple[Keypair, bytes]]:
    out = []
    for _ in range(PAIRS):
        kp = Keypair.from_seed(rng.randbytes(32))
        out.append((kp, rng.randbytes(MESSAGE_LEN)))
    return out


def bench_solders(pairs, seconds: float) -> float:
    items = [(kp.pubkey(), msg, kp.sign_message(msg)) for kp, msg in pairs]
    for pk, msg, sig in items:
        assert sig.verify(pk, msg)

    def step(item):
        pk, msg, sig = item
        if not sig.verify(pk, msg):
            raise AssertionError("verification failed")

    return rate(step, items, seconds)


def bench_openssl(pairs, seconds: float) -> float | None:
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        return None
    items = []
    for kp, msg in pairs:
        sk = Ed25519PrivateKey.from_private_bytes(bytes(kp)[:32])
        pk = sk.public_key()
        sig = sk.sign(msg)
        assert bytes(kp.sign_message(msg)) == sig  # same keys, same signatures
        items.append((pk, msg, sig))

    def step(item):
        pk, msg, sig = item
        pk.verify(sig, msg)  # raises InvalidSignature on failure

    return rate(step, items, seconds)


def bench_transactions(pairs, rng: random.Random, seconds: float) -> float:
    raws = []
    for kp, _ in pairs:
        blockhash = Hash(rng.randbytes(32))
        ix = sp.transfer(sp.TransferParams(from_pubkey=kp.pubkey(), to_pubkey=Pubkey(rng.randbytes(32)),
                                           lamports=rng.randrange(1, 10**12)))
        tx = Transaction([kp], Message.new_with_blockhash([ix], kp.pubkey(), blockhash), blockhash)
        raws.append(bytes(tx))

    def step(raw):
        tx = VersionedTransaction.from_bytes(raw)
        if not all(tx.verify_with_results()):
            raise AssertionError("verification failed")

    return rate(step, raws, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement (default 2)")
    args = parser.parse_args()

    pin_to_one_core()
    rng = random.Random(20240601)
    pairs = make_pairs(rng)

    print(f"reference ed25519 verify (solders/ed25519-dalek): {bench_solders(pairs, args.seconds):.0f} /s per core",
          flush=True)
    openssl = bench_openssl(pairs, args.seconds)
    if openssl is None:
        print("reference ed25519 verify (cryptography/OpenSSL): skipped, `cryptography` is not installed",
              flush=True)
    else:
        print(f"reference ed25519 verify (cryptography/OpenSSL): {openssl:.0f} /s per core", flush=True)
    tx_rate = bench_transactions(pairs, rng, args.seconds)
    print(f"reference transfer tx parse+verify (solders VersionedTransaction.from_bytes): {tx_rate:.0f} /s per core",
          flush=True)


if __name__ == "__main__":
    main()
