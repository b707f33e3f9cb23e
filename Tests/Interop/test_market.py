"""The compute market end to end: `verity devnet`, real `verity worker` processes running
all-MiniLM-L6-v2, jobs from the CLI and from the unmodified `solana` client (through the
small solders SDK in verity_sdk.py), and the faults the market must survive.

Needs VERITY_BIN (scripts/test sets it) and the model in the cache (scripts/test fetches it).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import random
import re
import signal
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solders.keypair import Keypair
from solders.message import Message
from solders.transaction import VersionedTransaction

import verity_sdk as sdk
import ports
from test_node_rpc import SOL, raw_rpc

BIN = os.environ.get("VERITY_BIN", "")


@dataclass
class Net:
    url: str
    ports: tuple[int, int]  # JSON-RPC, WebSocket
    data: Path
    devnet: subprocess.Popen
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)  # authority -> process
    keys: dict[str, Keypair] = field(default_factory=dict)
    model_id: bytes = b""


def start_devnet(data: Path, bound: tuple[int, int] | None = None) -> tuple[subprocess.Popen, tuple[int, int]]:
    """A devnet on free ports, or on `bound` (a restart, which its workers must find again)."""
    where = ["--rpc-port", str(bound[0]), "--ws-port", str(bound[1])] if bound else ["--rpc-port", "0"]
    proc, ready = ports.start(["devnet", "--data-dir", str(data), "--workers", "0", *where], f"{data}.log")
    return proc, (ready["rpcPort"], ready["webSocketPort"])


def devnet_agents(data: Path) -> list[int]:
    """The pids of the worker and auditor processes a devnet with data folder `data` started:
    those whose keypair is the devnet's `worker-N.json` or `auditor-N.json` there (a test's own
    workers keep their keypairs elsewhere)."""
    keypair = re.compile(re.escape(f"{data}/").encode() + rb"(worker|auditor)-\d+\.json")
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if len(args) > 1 and args[1] in (b"worker", b"auditor") and any(keypair.fullmatch(arg) for arg in args):
            pids.append(int(entry.name))
    return pids


def wait_ready(url: str, data: Path, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            models = sdk.rpc(url, "verityGetModels")
            user = json.loads((data / "user.json").read_text())
            pub = Keypair.from_bytes(bytes(user)).pubkey()
            if models and raw_rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "getBalance", "params": [str(pub)]})["result"]["value"] >= 100 * SOL:
                return
        except (OSError, RuntimeError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise AssertionError("devnet did not come up")


def start_worker(net: Net, index: int) -> None:
    kp = Keypair()
    path = net.data / f"test-worker-{index}.json"
    path.write_text(json.dumps(list(bytes(kp))))
    sig = raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "requestAirdrop", "params": [str(kp.pubkey()), 10 * SOL]})["result"]
    wait_signature(net.url, sig)
    env = dict(os.environ, VERITY_THREADS="1")
    proc = subprocess.Popen([BIN, "worker", "--rpc", net.url, "--keypair", str(path), "--models", "minilm",
                             "--trace-dir", str(net.data / f"test-traces-{index}"), "--traces", "receipt"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    net.workers[str(kp.pubkey())] = proc
    net.keys[str(kp.pubkey())] = kp


def wait_signature(url: str, sig: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = raw_rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "getSignatureStatuses", "params": [[sig]]})["result"]["value"][0]
        if status is not None:
            assert status["err"] is None, status
            return
        time.sleep(0.05)
    raise AssertionError(f"{sig} not confirmed")


def online_providers(url: str) -> list[dict]:
    return [p for p in sdk.rpc(url, "verityGetProviders") if p["online"] and p["status"] == "active"]


def wait_job(url: str, job: str, statuses: set[str], timeout: float = 30) -> dict:
    deadline = time.time() + timeout
    record = None
    while time.time() < deadline:
        record = sdk.rpc(url, "verityGetJob", [job])
        if record and record["status"] in statuses:
            return record
        time.sleep(0.05)
    raise AssertionError(f"job {job} never reached {statuses}: {record}")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    if not BIN:
        pytest.fail("VERITY_BIN is not set", pytrace=False)
    data = tmp_path_factory.mktemp("devnet")
    devnet, bound = start_devnet(data)
    url = f"http://127.0.0.1:{bound[0]}"
    net = Net(url=url, ports=bound, data=data, devnet=devnet)
    try:
        wait_ready(url, data)
        net.model_id = bytes.fromhex(sdk.rpc(url, "verityGetModels")[0]["id"])
        for i in range(3):
            start_worker(net, i)
        deadline = time.time() + 120
        while len(online_providers(url)) < 3:
            assert time.time() < deadline, "workers did not register"
            time.sleep(0.2)
        yield net
    finally:
        ports.stop_all(list(net.workers.values()) + [net.devnet])


def user_keypair(net: Net) -> str:
    return str(net.data / "user.json")


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_devnet_job_round_trip_from_the_cli(net: Net):
    text = "Verity runs verifiable inference on a Solana layer 2."
    out = cli("job", "submit", "--rpc", net.url, "--keypair", user_keypair(net), "--model", "minilm", "--text", text, "--wait")
    job = json.loads(out.stdout)
    assert job["status"] in ("completed", "finalized")
    assert job["provider"] in {p["account"] for p in sdk.rpc(net.url, "verityGetProviders")}
    embedding = job["embedding"]
    assert len(embedding) == 384
    assert abs(math.sqrt(sum(x * x for x in embedding)) - 1) < 1e-4
    raw = b"".join(struct.pack("<f", x) for x in embedding)
    assert hashlib.sha256(raw).hexdigest() == job["output"]
    assert job["tokens"] > 5 and job["latencyMs"] > 0
    # The same text embedded locally gives the same vector.
    local = json.loads(cli("embed", "--model", "minilm", text).stdout.splitlines()[0])
    vector = local["embedding"]
    assert sum(a * b for a, b in zip(vector, embedding)) > 0.99999
    # The worker kept a trace receipt (it was asked to: --traces receipt); the audit bundle
    # rebuilt from it has the receipt's root, with every step checked against the receipt.
    receipt = None
    deadline = time.time() + 10
    while receipt is None and time.time() < deadline:
        receipt = next(iter(net.data.glob(f"test-traces-*/{job['job']}.vreceipt")), None)
        time.sleep(0.1)
    assert receipt is not None, "no trace receipt kept for the job"
    shown = json.loads(cli("trace", "show", str(receipt)).stdout)
    assert shown["kind"] == "receipt"
    rebuilt = json.loads(cli("trace", "rebuild", str(receipt), "--model", "minilm", "--out", str(net.data / "rebuilt.vtrace")).stdout)
    assert rebuilt["root"] == shown["root"] and rebuilt["bytes"] > 20 * receipt.stat().st_size
    full = json.loads(cli("trace", "show", str(net.data / "rebuilt.vtrace")).stdout)
    assert full["kind"] == "trace" and full["root"] == shown["root"] and full["steps"] == shown["steps"]
    # An auditor's checks pass the bundle as the job of this text ending in the on-chain output,
    # and refuse it as the job of another text or output.
    audited = json.loads(cli("verify", "audit", str(net.data / "rebuilt.vtrace"), "--text", text, "--output-hash", job["output"]).stdout)
    assert audited["passed"] and audited["root"] == shown["root"] and audited["rowsPerStep"] == 16
    every_row = json.loads(cli("verify", "audit", str(net.data / "rebuilt.vtrace"), "--text", text, "--output-hash", job["output"], "--all-rows").stdout)
    assert every_row["passed"] and every_row["rowsPerStep"] is None
    other = cli("verify", "audit", str(net.data / "rebuilt.vtrace"), "--text", text + " (edited)", "--output-hash", job["output"], check=False)
    assert other.returncode == 1 and json.loads(other.stdout)["reason"].startswith("step 0: custody")
    forged = cli("verify", "audit", str(net.data / "rebuilt.vtrace"), "--text", text, "--output-hash", "00" * 32, check=False)
    assert forged.returncode == 1 and "output hash" in json.loads(forged.stdout)["reason"]
    # Held to its committed root first, as an auditor holds a download: the bundle passes, and a
    # copy one bit away from it (the lowest bit of the last tensor's last element) fails at
    # that tensor's digest, and a bundle held to another root fails at its leaves.
    held = json.loads(cli("verify", "audit", str(net.data / "rebuilt.vtrace"), "--text", text, "--output-hash", job["output"], "--root", shown["root"]).stdout)
    assert held["passed"]
    tampered = bytearray((net.data / "rebuilt.vtrace").read_bytes())
    tampered[-4] ^= 1
    (net.data / "tampered.vtrace").write_bytes(bytes(tampered))
    caught = cli("verify", "audit", str(net.data / "tampered.vtrace"), "--text", text, "--output-hash", job["output"], "--root", shown["root"], check=False)
    assert caught.returncode == 1 and "does not match its committed digest" in json.loads(caught.stdout)["reason"]
    elsewhere = cli("verify", "audit", str(net.data / "rebuilt.vtrace"), "--text", text, "--output-hash", job["output"], "--root", "11" * 32, check=False)
    assert elsewhere.returncode == 1 and "not the committed root" in json.loads(elsewhere.stdout)["reason"]
    # A damaged receipt is refused with a message, not a crash.
    broken = net.data / "broken.vreceipt"
    broken.write_bytes(receipt.read_bytes()[:-7])
    refused = cli("trace", "rebuild", str(broken), check=False)
    assert refused.returncode != 0 and "receipt" in refused.stderr
    # The payout follows the challenge window. The result committed its output; trace roots
    # come with a bundle, only if the chain drew the result: then the receipt's root is the
    # honest one of the two (the other is the planted trace's).
    final = wait_job(net.url, job["job"], {"finalized"})
    assert final["feePaid"] == job["fee"] > 0
    if final["verification"]["selection"] == "notSelected":
        assert final["traceRoot"] is None and final["altTraceRoot"] is None
    else:
        assert shown["root"] in {final["traceRoot"], final["altTraceRoot"]}
    status = json.loads(cli("job", "status", "--rpc", net.url, job["job"]).stdout)
    assert status["status"] == "finalized"
    assert json.loads(cli("models", "--rpc", net.url).stdout)[0]["id"] == net.model_id.hex()
    assert len(json.loads(cli("providers", "--rpc", net.url).stdout)) >= 3


def test_a_solana_developer_submits_a_job_with_solders(net: Net):
    async def run():
        client = AsyncClient(net.url)
        payer = Keypair()
        sig = (await client.request_airdrop(payer.pubkey(), 2 * SOL)).value
        await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
        text = b"sent through the solana python client"
        digest = sdk.put_blob(net.url, text)
        nonce = random.getrandbits(63)
        ix = sdk.submit_job(payer.pubkey(), nonce, net.model_id, digest, len(text), 100_000, "sampled", int(time.time() * 1000) + 60_000)
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        tx = VersionedTransaction(Message.new_with_blockhash([ix], payer.pubkey(), blockhash), [payer])
        sent = (await client.send_transaction(tx)).value
        await client.confirm_transaction(sent, commitment=Confirmed, sleep_seconds=0.05)
        await client.close()
        return sdk.job_address(payer.pubkey(), nonce)

    job = asyncio.run(run())
    record = wait_job(net.url, str(job), {"completed", "finalized"})
    output = sdk.get_blob(net.url, record["output"])
    assert len(output) == 384 * 4 and hashlib.sha256(output).hexdigest() == record["output"]


def test_bad_jobs_are_refused_and_the_chain_keeps_going(net: Net):
    user = user_keypair(net)
    unknown = cli("job", "submit", "--rpc", net.url, "--keypair", user, "--model", "ab" * 32, "--text", "x", check=False)
    assert unknown.returncode != 0 and "unknown model" in unknown.stderr
    low = cli("job", "submit", "--rpc", net.url, "--keypair", user, "--text", "x", "--max-fee", "1", check=False)
    assert low.returncode != 0 and "max fee is below" in low.stderr
    big = cli("job", "submit", "--rpc", net.url, "--keypair", user, "--text", "y" * 70_000, check=False)
    assert big.returncode != 0 and "input is larger" in big.stderr

    async def malformed():
        client = AsyncClient(net.url)
        payer = Keypair()
        sig = (await client.request_airdrop(payer.pubkey(), SOL)).value
        await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
        ix = sdk.submit_job(payer.pubkey(), 1, net.model_id, b"\x01" * 32, 1, 100_000, "sampled", int(time.time() * 1000) + 60_000)
        from solders.instruction import Instruction
        garbage = Instruction(ix.program_id, ix.data[:-3], ix.accounts)
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        tx = VersionedTransaction(Message.new_with_blockhash([garbage], payer.pubkey(), blockhash), [payer])
        with pytest.raises(RPCException) as refused:
            await client.send_transaction(tx)
        await client.close()
        return str(refused.value)

    assert "InvalidInstructionData" in asyncio.run(malformed())
    assert raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "getHealth"})["result"] == "ok"


async def send(url: str, payer: Keypair, ix) -> str:
    """Sends one instruction; returns "" on success or the node's error text."""
    client = AsyncClient(url)
    try:
        blockhash = (await client.get_latest_blockhash()).value.blockhash
        tx = VersionedTransaction(Message.new_with_blockhash([ix], payer.pubkey(), blockhash), [payer])
        sent = (await client.send_transaction(tx)).value
        await client.confirm_transaction(sent, commitment=Confirmed, sleep_seconds=0.05)
        # Preflight ran against the last block; the block itself may still refuse it.
        status = (await client.get_signature_statuses([sent])).value[0]
        return "" if status.err is None else str(status.err)
    except RPCException as error:
        return str(error)
    finally:
        await client.close()


def has_code(text: str, code: int) -> bool:
    """Whether an error (a preflight message, or a block's status) carries market error `code`."""
    return f"0x{code:x}" in text or f"InstructionErrorCustom({code})" in text


def submit_with_sdk(net: Net, text: bytes) -> str:
    async def run():
        client = AsyncClient(net.url)
        payer = Keypair()
        sig = (await client.request_airdrop(payer.pubkey(), SOL)).value
        await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
        await client.close()
        digest = sdk.put_blob(net.url, text)
        nonce = random.getrandbits(63)
        ix = sdk.submit_job(payer.pubkey(), nonce, net.model_id, digest, len(text), 100_000, "sampled", int(time.time() * 1000) + 60_000)
        assert await send(net.url, payer, ix) == ""
        return str(sdk.job_address(payer.pubkey(), nonce))
    return asyncio.run(run())


def test_late_provider_is_refused_slashed_and_the_job_completes_once(net: Net):
    # A provider that claims to be very fast takes the next job and never answers in time.
    late = Keypair()
    wait_signature(net.url, raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "requestAirdrop", "params": [str(late.pubkey()), 5 * SOL]})["result"])
    register = sdk.register_provider(late.pubkey(), SOL, 1, "cpu-avx2", 1_000_000_000, 10_000, [net.model_id])
    assert asyncio.run(send(net.url, late, register)) == ""
    job = submit_with_sdk(net, b"who answers this one?")
    record = wait_job(net.url, job, {"assigned", "completed", "finalized"})
    assert record["provider"] == str(sdk.provider_address(late.pubkey()))
    # Not assigned: a real worker's authority cannot answer for it.
    other = next(iter(net.keys.values()))
    refused = asyncio.run(send(net.url, other, sdk.submit_result(other.pubkey(), sdk.Pubkey.from_string(job), b"\x01" * 32, b"\x02" * 32, 3)))
    assert has_code(refused, 0x125)
    # After the assignment deadline the late provider's result is refused and the job moves on.
    # Which refusal depends on where the job is by then: taken back and reassigned (0x125),
    # already answered by the new provider (0x126), or not yet taken back (0x127).
    timeout = sdk.rpc(net.url, "verityGetMarket")["params"]["assignmentTimeoutMs"] / 1000
    time.sleep(timeout + 0.3)
    refused = asyncio.run(send(net.url, late, sdk.submit_result(late.pubkey(), sdk.Pubkey.from_string(job), b"\x01" * 32, b"\x02" * 32, 3)))
    assert any(has_code(refused, code) for code in (0x125, 0x126, 0x127)), refused
    asyncio.run(send(net.url, late, sdk.deregister(late.pubkey())))
    final = wait_job(net.url, job, {"finalized"})
    assert final["attempts"] == 1 and str(sdk.provider_address(late.pubkey())) in final["excluded"]
    assert final["providerAuthority"] != str(late.pubkey())
    penalized = sdk.rpc(net.url, "verityGetProvider", [str(late.pubkey())])
    assert penalized["missed"] == 1 and penalized["slashed"] > 0 and penalized["earned"] == 0
    # Double result: the provider that finished it cannot post again.
    winner = net.keys[final["providerAuthority"]]
    again = asyncio.run(send(net.url, winner, sdk.submit_result(winner.pubkey(), sdk.Pubkey.from_string(job), b"\x01" * 32, b"\x02" * 32, 3)))
    assert has_code(again, 0x126)


def test_worker_killed_mid_job_is_reassigned_and_paid_once(net: Net):
    for proc in net.workers.values():
        proc.send_signal(signal.SIGSTOP)
    try:
        book_before = sdk.rpc(net.url, "verityGetMarket")
        job = submit_with_sdk(net, b"a worker dies holding this job")
        record = wait_job(net.url, job, {"assigned"})
        victim_authority = record["providerAuthority"]
        victim = net.workers.pop(victim_authority)
        victim.kill()
        victim.wait()
    finally:
        for proc in net.workers.values():
            proc.send_signal(signal.SIGCONT)
    final = wait_job(net.url, job, {"finalized"}, timeout=40)
    assert final["attempts"] == 1 and final["providerAuthority"] != victim_authority
    assert final["feePaid"] == final["fee"] > 0
    dead = sdk.rpc(net.url, "verityGetProvider", [victim_authority])
    assert dead["missed"] == 1 and dead["slashed"] > 0
    book = sdk.rpc(net.url, "verityGetMarket")
    assert book["finalized"] >= book_before["finalized"] + 1 and book["reassigned"] >= book_before["reassigned"] + 1
    # Exactly one payout: the job account holds only its rent now, and stays so.
    info = raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "getBalance", "params": [job]})["result"]["value"]
    time.sleep(1)
    assert raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "getBalance", "params": [job]})["result"]["value"] == info
    # A job account holds JobRecord.space (1,536) bytes: rent-exempt for that, never more.
    rent = raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "getMinimumBalanceForRentExemption", "params": [1536]})["result"]
    assert info == rent


def test_node_restart_mid_run_loses_no_job(net: Net):
    user = user_keypair(net)
    jobs = []
    for i in range(3):
        jobs.append(json.loads(cli("job", "submit", "--rpc", net.url, "--keypair", user, "--text", f"before the crash {i}").stdout)["job"])
    assert devnet_agents(net.data), "the devnet started no auditor"
    net.devnet.kill()
    net.devnet.wait()
    # Its auditor, which a killed devnet cannot stop, stops itself instead of living on.
    ports.wait_until(lambda: not devnet_agents(net.data), 20, "the killed devnet's auditor to exit")
    # Back on the same ports: the worker processes keep the URL they were started with.
    net.devnet, _ = start_devnet(net.data, net.ports)
    wait_ready(net.url, net.data)
    for i in range(3):
        jobs.append(json.loads(cli("job", "submit", "--rpc", net.url, "--keypair", user, "--text", f"after the restart {i}").stdout)["job"])
    for job in jobs:
        record = wait_job(net.url, job, {"completed", "finalized"}, timeout=60)
        assert record["output"] and record["tokens"] > 0


def test_job_status_streams_over_websocket(net: Net):
    import websockets

    async def run():
        client = AsyncClient(net.url)
        payer = Keypair()
        sig = (await client.request_airdrop(payer.pubkey(), SOL)).value
        await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
        await client.close()
        nonce = random.getrandbits(63)
        job = sdk.job_address(payer.pubkey(), nonce)
        statuses = []
        async with websockets.connect(f"ws://127.0.0.1:{net.ports[1]}") as ws:
            # The address is known before the job exists: subscribe first, then submit.
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "verityJobSubscribe", "params": [{"job": str(job)}]}))
            reply = json.loads(await ws.recv())
            assert isinstance(reply["result"], int)
            text = b"watch me over the websocket"
            digest = sdk.put_blob(net.url, text)
            ix = sdk.submit_job(payer.pubkey(), nonce, net.model_id, digest, len(text), 100_000, "sampled", int(time.time() * 1000) + 60_000)
            assert await send(net.url, payer, ix) == ""
            while "finalized" not in statuses:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
                assert message["method"] == "verityJobNotification"
                value = message["params"]["result"]["value"]
                assert value["job"] == str(job)
                statuses.append(value["status"])
        return statuses

    statuses = asyncio.run(run())
    # Submitted and matched in one block, answered in a later one, paid after the window.
    assert statuses[0] in ("assigned", "pending")
    assert "completed" in statuses and statuses[-1] == "finalized"
    assert statuses.index("completed") < statuses.index("finalized")
