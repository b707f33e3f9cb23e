"""Settlement to L1, end to end, against LiteSVM behind Solana's JSON-RPC (`l1_server.py`).

A `verity node --l1-rpc` posts batch commitments as Memo transactions signed by its operator
key; these tests read them back from L1 with the standard methods, run the independent
`verity settle verify`, and check exactly-once posting across a SIGKILL and an L1 outage.

Needs VERITY_BIN; scripts/test sets it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import struct
import subprocess
import threading
import time

import pytest
import ports
from ports import wait_until
from l1 import L1Process
from verity_sdk import rpc
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

SOL = 1_000_000_000
BATCH_SLOTS = 5
MEMO = re.compile(r"verity-batch:([A-Za-z0-9+/=]+)")


def decode_commitment(raw: bytes) -> dict:
    """The 185-byte batch commitment (docs/settlement.md)."""
    assert len(raw) == 185 and raw[0] == 1
    index, first, last = struct.unpack_from("<QQQ", raw, 33)
    return {
        "genesis": raw[1:33], "index": index, "first": first, "last": last, "stateRoot": raw[57:89], "blocksRoot": raw[89:121],
        "dataHash": raw[121:153], "previous": raw[153:185], "hash": hashlib.sha256(b"\x05" + raw).digest(),
    }


def encode_commitment(c: dict) -> bytes:
    return (b"\x01" + c["genesis"] + struct.pack("<QQQ", c["index"], c["first"], c["last"]) + c["stateRoot"] + c["blocksRoot"]
            + c["dataHash"] + c["previous"])


def l1_commitments(l1_url: str, operator: str) -> list[dict]:
    """Every batch commitment in the operator's L1 history, oldest first, read from the memo field."""
    entries = rpc(l1_url, "getSignaturesForAddress", [operator, {"limit": 1000, "commitment": "confirmed"}])
    found = []
    for entry in reversed(entries):
        for match in MEMO.finditer(entry.get("memo") or ""):
            commitment = decode_commitment(base64.b64decode(match.group(1)))
            commitment["signature"] = entry["signature"]
            found.append(commitment)
    return found


def operator_file(tmp_path, l1_url: str) -> tuple[Keypair, str]:
    key = Keypair()
    path = tmp_path / "operator.json"
    path.write_text(json.dumps(list(bytes(key))))
    rpc(l1_url, "requestAirdrop", [str(key.pubkey()), 10 * SOL])
    return key, str(path)


def start_node(data_dir: str, l1_url: str, keypair: str, extra: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    args = [
        "node", "--data-dir", data_dir, "--rpc-port", "0", "--faucet-lamports", str(10**6 * SOL), "--heartbeat-ms", "100",
        "--l1-rpc", l1_url, "--l1-keypair", keypair, "--batch-slots", str(BATCH_SLOTS), *(extra or []),
    ]
    proc, ready = ports.start(args, f"{data_dir}.log")
    return proc, ready["rpc"]


def send_transfer(url: str, payer: Keypair, lamports: int) -> str:
    blockhash = Hash.from_string(rpc(url, "getLatestBlockhash")["value"]["blockhash"])
    msg = Message.new_with_blockhash([transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=lamports))],
                                     payer.pubkey(), blockhash)
    tx = VersionedTransaction(msg, [payer])
    return rpc(url, "sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])


def settled_through(url: str, slot: int, timeout: float = 60) -> dict:
    return wait_until(lambda: (s := rpc(url, "verityGetSettlement")) and s["settledSlot"] >= slot and s, timeout, f"settlement through slot {slot}")


def verify(url: str, l1_url: str, operator: str) -> subprocess.CompletedProcess:
    return subprocess.run([ports.binary(), "settle", "verify", "--rpc", url, "--l1-rpc", l1_url, "--operator", operator],
                          capture_output=True, text=True, timeout=120)


def assert_exactly_once(commitments: list[dict], genesis: bytes) -> list[dict]:
    """The chain's commitments on L1: indexes 0..n-1, each once, chained, slots contiguous."""
    mine = [c for c in commitments if c["genesis"] == genesis]
    indexes = [c["index"] for c in mine]
    assert sorted(indexes) == list(range(len(mine))), f"gap or duplicate in batch indexes on L1: {sorted(indexes)}"
    mine.sort(key=lambda c: c["index"])
    previous, next_slot = bytes(32), 1
    for c in mine:
        assert c["previous"] == previous, f"batch {c['index']} is not chained to batch {c['index'] - 1}"
        assert c["first"] == next_slot, f"batch {c['index']} starts at slot {c['first']}, expected {next_slot}"
        previous, next_slot = c["hash"], c["last"] + 1
    return mine


@pytest.fixture(scope="module")
def l1():
    with L1Process(slot_ms=50, finality_slots=8) as server:
        yield server


def genesis_bytes(url: str) -> bytes:
    from solders.pubkey import Pubkey  # base58 decoding of a 32-byte hash
    return bytes(Pubkey.from_string(rpc(url, "getGenesisHash")))


def test_batches_posted_to_l1_and_verified_independently(tmp_path, l1):
    key, keyfile = operator_file(tmp_path, l1.url)
    operator = str(key.pubkey())
    data_dir = str(tmp_path / "node")
    proc, url = start_node(data_dir, l1.url, keyfile)
    try:
        alice = Keypair()
        airdrop = rpc(url, "requestAirdrop", [str(alice.pubkey()), 100 * SOL])
        wait_until(lambda: rpc(url, "getSignatureStatuses", [[airdrop]])["value"][0], 10, "the airdrop")
        sigs = [send_transfer(url, alice, 1_000_000 + n) for n in range(30)]
        statuses = wait_until(lambda: all(v := rpc(url, "getSignatureStatuses", [sigs])["value"]) and v, 10, "the transfers")
        # Sealed but not yet in a batch L1 confirmed: `confirmed`, with a count of confirmations.
        last_slot = max(s["slot"] for s in statuses)
        early = rpc(url, "getSignatureStatuses", [[sigs[-1]]])["value"][0]
        if early["confirmationStatus"] == "confirmed":
            assert early["confirmations"] is not None
            assert rpc(url, "getTransaction", [sigs[-1], {"commitment": "finalized"}]) is None
            assert rpc(url, "getTransaction", [sigs[-1], {"commitment": "confirmed"}])["slot"] == early["slot"]
        # At least three batches (heartbeat blocks fill them when the transfers fit in fewer).
        settlement = settled_through(url, max(last_slot, 3 * BATCH_SLOTS))
        assert settlement["settling"] is True
        final = rpc(url, "getSignatureStatuses", [sigs])["value"]
        assert all(s["confirmationStatus"] == "finalized" and s["confirmations"] is None for s in final)
        assert rpc(url, "getTransaction", [sigs[-1]])["slot"] == early["slot"]

        # What L1 holds: the chain's batches, exactly once, chained, and matching the node's own list.
        mine = assert_exactly_once(l1_commitments(l1.url, operator), genesis_bytes(url))
        node_batches = {b["index"]: b for b in rpc(url, "verityGetSettlement", [{"limit": 1000}])["batches"]}
        for c in mine:
            listed = node_batches[c["index"]]
            assert (listed["firstSlot"], listed["lastSlot"], listed["dataHash"]) == (c["first"], c["last"], c["dataHash"].hex())
            assert listed["l1Signature"] == c["signature"]
        assert all(c["last"] - c["first"] + 1 <= BATCH_SLOTS for c in mine)

        # Anyone can check it from L1 alone.
        result = verify(url, l1.url, operator)
        assert result.returncode == 0, result.stdout + result.stderr
        assert re.search(r"all \d+ batches verified", result.stdout)
        status = subprocess.run([ports.binary(), "settle", "status", "--rpc", url], capture_output=True, text=True, timeout=30)
        assert status.returncode == 0 and "settled through slot" in status.stdout and "settled" in status.stdout

        # Batch data changed on the node's disk: the batch is named.
        tampered = mine[0]
        hexid = tampered["dataHash"].hex()
        path = os.path.join(data_dir, "blobs", hexid[:2], hexid)
        blob = bytearray(open(path, "rb").read())
        blob[-1] ^= 1
        open(path, "wb").write(bytes(blob))
        result = verify(url, l1.url, operator)
        assert result.returncode == 1 and "batch 0:" in result.stdout, result.stdout + result.stderr
        blob[-1] ^= 1
        open(path, "wb").write(bytes(blob))
        assert verify(url, l1.url, operator).returncode == 0

        # A second, different commitment for a batch already posted (a rewritten root) is named.
        victim = mine[1]
        raw = bytearray(encode_commitment(victim))
        raw[57] ^= 1  # the state root
        post_memo(l1.url, key, "verity-batch:" + base64.b64encode(bytes(raw)).decode())
        result = verify(url, l1.url, operator)
        assert result.returncode == 1 and f"batch {victim['index']}:" in result.stdout, result.stdout + result.stderr

    finally:
        ports.stop(proc)


def post_memo(l1_url: str, key: Keypair, text: str) -> None:
    from solders.instruction import AccountMeta, Instruction
    from solders.pubkey import Pubkey
    memo = Instruction(Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"), text.encode(), [AccountMeta(key.pubkey(), True, False)])
    blockhash = Hash.from_string(rpc(l1_url, "getLatestBlockhash", [{"commitment": "confirmed"}])["value"]["blockhash"])
    tx = VersionedTransaction(Message.new_with_blockhash([memo], key.pubkey(), blockhash), [key])
    sig = rpc(l1_url, "sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
    wait_until(lambda: (v := rpc(l1_url, "getSignatureStatuses", [[sig]])["value"][0]) and v["confirmationStatus"] != "processed", 20, "the memo")


def test_exactly_once_across_a_kill_and_an_l1_outage(tmp_path, l1):
    key, keyfile = operator_file(tmp_path, l1.url)
    operator = str(key.pubkey())
    data_dir = str(tmp_path / "node")
    proc, url = start_node(data_dir, l1.url, keyfile)
    alice = Keypair()
    try:
        airdrop = rpc(url, "requestAirdrop", [str(alice.pubkey()), 100 * SOL])
        wait_until(lambda: rpc(url, "getSignatureStatuses", [[airdrop]])["value"][0], 10, "the airdrop")
        sent = []
        stop = threading.Event()

        def sender():
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    sent.append(send_transfer(url, alice, 1_000 + n))
                except (OSError, RuntimeError):
                    return
                time.sleep(0.02)

        thread = threading.Thread(target=sender)
        thread.start()
        # Kill the node while batches are built, sent and confirmed around it.
        wait_until(lambda: len([b for b in rpc(url, "verityGetSettlement")["batches"] if b["status"] == "settled"]) >= 2, 60, "two settled batches")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        thread.join(timeout=15)
        proc, url = start_node(data_dir, l1.url, keyfile)

        # L1 goes away: the L2 keeps sealing blocks, batches wait.
        l1.offline()
        before = rpc(url, "getSlot")
        sigs = [send_transfer(url, alice, 2_000_000 + n) for n in range(10)]
        statuses = wait_until(lambda: all(v := rpc(url, "getSignatureStatuses", [sigs])["value"]) and v, 10, "transfers while L1 is down")
        assert all(s["err"] is None for s in statuses)
        time.sleep(2)
        during = rpc(url, "verityGetSettlement")
        assert during["slot"] > before and during["lagSlots"] > 0
        assert all(s["confirmationStatus"] == "confirmed" for s in rpc(url, "getSignatureStatuses", [sigs])["value"])
        l1.online()
        settled_through(url, max(s["slot"] for s in statuses), timeout=90)
        assert all(s["confirmationStatus"] == "finalized" for s in rpc(url, "getSignatureStatuses", [sigs])["value"])

        assert_exactly_once(l1_commitments(l1.url, operator), genesis_bytes(url))
        result = verify(url, l1.url, operator)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "more than once" not in result.stdout
    finally:
        if l1.proc.poll() is None:
            l1.online()
        ports.stop(proc)


def test_bad_settlement_flags_are_refused(tmp_path, l1):
    data_dir = str(tmp_path / "node")
    for args, message in [
        (["--l1-rpc", l1.url], "--l1-keypair"),
        (["--l1-keypair", "/nonexistent"], "--l1-rpc"),
        (["--l1-rpc", "ftp://x", "--l1-keypair", "/nonexistent"], "http(s) URL"),
        (["--l1-rpc", l1.url, "--l1-keypair", "/nonexistent"], "/nonexistent"),
        (["--l1-rpc", l1.url, "--l1-keypair", "/nonexistent", "--batch-slots", "0"], "--batch-slots"),
    ]:
        result = subprocess.run([ports.binary(), "node", "--data-dir", data_dir, "--rpc-port", "0", *args], capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and message in result.stderr, (args, result.stderr)
