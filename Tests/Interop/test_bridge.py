"""The bridge, end to end, against LiteSVM behind Solana's JSON-RPC (`l1_server.py`).

Deposits are plain L1 transfers to the vault (the operator's L1 address) with a memo naming
the L2 recipient, sent here both with `verity bridge deposit` and with solders alone;
withdrawals are Bridge instructions on L2 paid from the vault once their batch is settled.
Each must happen exactly once, across a SIGKILL of the node in the middle.

Needs VERITY_BIN; scripts/test sets it.
"""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import time

import pytest
import ports
from ports import wait_until
from l1 import L1Process
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from verity_sdk import rpc

SOL = 1_000_000_000
MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


def keyfile(tmp_path, name: str, key: Keypair) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(list(bytes(key))))
    return str(path)


def l1_confirm(l1_url: str, sig: str) -> None:
    wait_until(lambda: (v := rpc(l1_url, "getSignatureStatuses", [[sig]])["value"][0]) and v["confirmationStatus"] != "processed", 20, f"L1 {sig}")


def l1_send(l1_url: str, payer: Keypair, instructions: list) -> str:
    blockhash = Hash.from_string(rpc(l1_url, "getLatestBlockhash", [{"commitment": "confirmed"}])["value"]["blockhash"])
    tx = VersionedTransaction(Message.new_with_blockhash(instructions, payer.pubkey(), blockhash), [payer])
    sig = rpc(l1_url, "sendTransaction", [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
    l1_confirm(l1_url, sig)
    return sig


def memo(text: str, signer: Keypair) -> Instruction:
    return Instruction(MEMO_PROGRAM, text.encode(), [AccountMeta(signer.pubkey(), True, False)])


def l1_balance(l1_url: str, address: str) -> int:
    return rpc(l1_url, "getBalance", [address, {"commitment": "confirmed"}])["value"]


def l2_balance(url: str, address: str) -> int:
    return rpc(url, "getBalance", [address])["value"]


class Node:
    """A settling node over one data dir, restartable."""

    def __init__(self, tmp_path, l1: L1Process):
        self.l1 = l1
        self.data_dir = str(tmp_path / "node")
        self.operator = Keypair()
        self.operator_file = keyfile(tmp_path, "operator", self.operator)
        rpc(l1.url, "requestAirdrop", [str(self.operator.pubkey()), 10 * SOL])
        self.proc = None
        self.url = ""

    def start(self) -> None:
        self.proc, ready = ports.start([
            "node", "--data-dir", self.data_dir, "--rpc-port", "0", "--faucet-lamports", str(10**6 * SOL), "--heartbeat-ms", "100",
            "--l1-rpc", self.l1.url, "--l1-keypair", self.operator_file, "--batch-slots", "5", "--withdrawal-delay-ms", "300",
        ], f"{self.data_dir}.log")
        self.url = ready["rpc"]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            ports.stop(self.proc)

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([ports.binary(), "bridge", *args, "--rpc", self.url], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def l1():
    with L1Process(slot_ms=50, finality_slots=8) as server:
        yield server


@pytest.fixture
def node(tmp_path, l1):
    n = Node(tmp_path, l1)
    n.start()
    yield n
    n.stop()


def test_deposit_credits_l2_once_and_withdrawal_pays_l1_once(tmp_path, l1, node):
    vault = rpc(node.url, "verityGetSettlement")["l1Operator"]
    assert vault == str(node.operator.pubkey())
    user = Keypair()
    rpc(l1.url, "requestAirdrop", [str(user.pubkey()), 20 * SOL])
    wait_until(lambda: l1_balance(l1.url, str(user.pubkey())) > 0, 10, "the L1 airdrop")

    # With the CLI.
    recipient = Keypair()
    result = node.cli("deposit", "--l1-rpc", l1.url, "--keypair", keyfile(tmp_path, "user", user), "--to", str(recipient.pubkey()),
                      "--lamports", str(2 * SOL), "--wait")
    assert result.returncode == 0 and "credited on L2" in result.stdout, result.stdout + result.stderr
    assert l2_balance(node.url, str(recipient.pubkey())) == 2 * SOL

    # With solders alone, as any Solana wallet would: a transfer and a memo.
    other = Keypair()
    l1_send(l1.url, user, [transfer(TransferParams(from_pubkey=user.pubkey(), to_pubkey=Pubkey.from_string(vault), lamports=3 * SOL)),
                           memo(f"verity-deposit:{other.pubkey()}", user)])
    wait_until(lambda: l2_balance(node.url, str(other.pubkey())) == 3 * SOL, 30, "the solders deposit")

    # The deposit is credited once, however long the node keeps watching.
    time.sleep(1.5)
    assert l2_balance(node.url, str(recipient.pubkey())) == 2 * SOL and l2_balance(node.url, str(other.pubkey())) == 3 * SOL

    # Withdraw part of it back to a fresh L1 address.
    l1_recipient = Keypair().pubkey()
    withdrawn = 1_500_000_000
    result = subprocess.run([ports.binary(), "bridge", "withdraw", "--rpc", node.url, "--keypair", keyfile(tmp_path, "recipient", recipient),
                             "--to", str(l1_recipient), "--lamports", str(withdrawn), "--wait", "--timeout", "90"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "paid on L1" in result.stdout, result.stdout + result.stderr
    assert l1_balance(l1.url, str(l1_recipient)) == withdrawn
    assert l2_balance(node.url, str(recipient.pubkey())) < 2 * SOL - withdrawn + 1

    # Above the balance: refused with the chain's error, nothing recorded.
    result = subprocess.run([ports.binary(), "bridge", "withdraw", "--rpc", node.url, "--keypair", keyfile(tmp_path, "recipient", recipient),
                             "--to", str(l1_recipient), "--lamports", str(5 * SOL)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "insufficient" in (result.stdout + result.stderr).lower(), result.stdout + result.stderr
    time.sleep(1.0)
    assert l1_balance(l1.url, str(l1_recipient)) == withdrawn

    status = node.cli("status")
    assert status.returncode == 0 and f"deposited {5 * SOL} lamports" in status.stdout and "1 withdrawals" in status.stdout, status.stdout


def test_bad_deposits_are_recorded_and_refunded_on_l1(tmp_path, l1, node):
    vault = Pubkey.from_string(rpc(node.url, "verityGetSettlement")["l1Operator"])
    user = Keypair()
    rpc(l1.url, "requestAirdrop", [str(user.pubkey()), 20 * SOL])
    wait_until(lambda: l1_balance(l1.url, str(user.pubkey())) > 0, 10, "the L1 airdrop")
    before = l1_balance(l1.url, str(user.pubkey()))
    bad = []
    for text in ["verity-deposit:not-an-address", "hello", None]:
        instructions = [transfer(TransferParams(from_pubkey=user.pubkey(), to_pubkey=vault, lamports=SOL))]
        if text is not None:
            instructions.append(memo(text, user))
        bad.append(l1_send(l1.url, user, instructions))
    fees = before - l1_balance(l1.url, str(user.pubkey())) - 3 * SOL
    for sig in bad:
        status = wait_until(lambda: (r := node.cli("status", "--deposit", sig)).returncode == 0 and "refunded" in r.stdout and r, 60,
                            f"the refund of {sig}")
        assert "1000000000 lamports" in status.stdout
    # Every lamport came back; the sender paid only its own fees.
    assert l1_balance(l1.url, str(user.pubkey())) == before - fees
    state = node.cli("status").stdout
    assert "deposited 0 lamports" in state and "0 refunds pending" in state, state


def test_kill_during_deposit_and_withdrawal_loses_and_doubles_nothing(tmp_path, l1, node):
    vault = Pubkey.from_string(rpc(node.url, "verityGetSettlement")["l1Operator"])
    user = Keypair()
    rpc(l1.url, "requestAirdrop", [str(user.pubkey()), 20 * SOL])
    wait_until(lambda: l1_balance(l1.url, str(user.pubkey())) > 0, 10, "the L1 airdrop")

    # Deposits land on L1 while the node is dead, and one just before it dies.
    recipient = Keypair()
    l1_send(l1.url, user, [transfer(TransferParams(from_pubkey=user.pubkey(), to_pubkey=vault, lamports=SOL)), memo(f"verity-deposit:{recipient.pubkey()}", user)])
    node.kill()
    for _ in range(2):
        l1_send(l1.url, user, [transfer(TransferParams(from_pubkey=user.pubkey(), to_pubkey=vault, lamports=SOL)), memo(f"verity-deposit:{recipient.pubkey()}", user)])
    node.start()
    wait_until(lambda: l2_balance(node.url, str(recipient.pubkey())) == 3 * SOL, 60, "three deposits credited")

    # A withdrawal, killed before it is paid.
    l1_recipient = Keypair().pubkey()
    result = subprocess.run([ports.binary(), "bridge", "withdraw", "--rpc", node.url, "--keypair", keyfile(tmp_path, "r", recipient),
                             "--to", str(l1_recipient), "--lamports", str(SOL)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    record = result.stdout.split("(record ")[1].split(")")[0]
    node.kill()
    node.start()
    wait_until(lambda: "paid on L1" in node.cli("status", "--withdrawal", record).stdout, 60, "the withdrawal paid")
    assert l1_balance(l1.url, str(l1_recipient)) == SOL

    # And once only, after another restart and a while of watching.
    node.stop()
    node.start()
    time.sleep(2)
    assert l1_balance(l1.url, str(l1_recipient)) == SOL
    assert l2_balance(node.url, str(recipient.pubkey())) <= 2 * SOL
    state = node.cli("status").stdout
    assert f"deposited {3 * SOL} lamports" in state and "1 withdrawals" in state, state
