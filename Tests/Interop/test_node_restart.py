"""Durability: a `verity node --data-dir` killed with SIGKILL at an arbitrary moment loses no
transaction it reported processed, and a restart replays to the same state root.

Needs VERITY_BIN; scripts/test sets it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import urllib.request

import pytest
import ports
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

SOL = 1_000_000_000


def rpc(url: str, method: str, params=None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise RuntimeError(reply["error"])
    return reply["result"]


def start(data_dir: str) -> tuple[subprocess.Popen, str]:
    """A node on port 0 over `data_dir`; its log beside it, appended to across restarts."""
    proc, ready = ports.start(["node", "--data-dir", data_dir, "--rpc-port", "0", "--faucet-lamports", str(10**6 * SOL)], f"{data_dir}.log")
    return proc, ready["rpc"]


def wait_for(url: str, signatures: list[str], timeout: float = 20) -> list:
    deadline = time.time() + timeout
    while time.time() < deadline:
        statuses = rpc(url, "getSignatureStatuses", [signatures])["value"]
        if all(s is not None for s in statuses):
            return statuses
        time.sleep(0.05)
    pytest.fail("transactions were not processed in time")


def test_kill_minus_nine_loses_no_processed_transaction(tmp_path):
    data_dir = str(tmp_path / "node")
    proc, url = start(data_dir)
    alice = Keypair()
    wait_for(url, [rpc(url, "requestAirdrop", [str(alice.pubkey()), 100 * SOL])])

    # Stream transfers from a thread; record every one the node reports processed.
    processed: dict[str, dict] = {}
    stop = threading.Event()

    def sender():
        n = 0
        while not stop.is_set():
            n += 1
            try:
                blockhash = Hash.from_string(rpc(url, "getLatestBlockhash")["value"]["blockhash"])
            except (OSError, RuntimeError):
                return  # the node was killed under us: that is the test
            msg = Message.new_with_blockhash([transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000 + n))],
                                             alice.pubkey(), blockhash)
            tx = VersionedTransaction(msg, [alice])
            try:
                sig = rpc(url, "sendTransaction", [__import__("base64").b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
                status = rpc(url, "getSignatureStatuses", [[sig]])["value"][0]
                for _ in range(40):
                    if status is not None:
                        processed[sig] = status
                        break
                    time.sleep(0.02)
                    status = rpc(url, "getSignatureStatuses", [[sig]])["value"][0]
            except (OSError, RuntimeError):
                return

    thread = threading.Thread(target=sender)
    thread.start()
    time.sleep(2.0)
    proc.send_signal(signal.SIGKILL)  # mid-stream, at whatever moment it is
    proc.wait()
    stop.set()
    thread.join(timeout=15)
    assert len(processed) >= 3, "the sender should have seen some transfers processed before the kill"

    proc, url = start(data_dir)
    try:
        signatures = list(processed)
        # Read from the store (searchTransactionHistory), where the crash must have left them.
        after = rpc(url, "getSignatureStatuses", [signatures, {"searchTransactionHistory": True}])["value"]
        lost = [sig for sig, status in zip(signatures, after) if status is None]
        assert not lost, f"{len(lost)} processed transactions lost by the crash"
        for sig, status in zip(signatures, after):
            assert status["slot"] == processed[sig]["slot"] and status["err"] == processed[sig]["err"]
        # A clean stop and restart reproduces the same state root.
        quiet = rpc(url, "verityGetStateRoot")
        assert ports.stop(proc) == 0, "SIGTERM stops the node cleanly"
        proc, url = start(data_dir)
        again = rpc(url, "verityGetStateRoot")
        assert again["stateRoot"] == quiet["stateRoot"]
        # And the chain goes on.
        bob = Keypair()
        wait_for(url, [rpc(url, "requestAirdrop", [str(bob.pubkey()), SOL])])
        assert rpc(url, "getBalance", [str(bob.pubkey())])["value"] == SOL
    finally:
        proc.kill()
        proc.wait()
