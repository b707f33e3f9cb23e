"""The audit protocol end to end on a real devnet: `verity devnet` (one auditor process), real
`verity worker` processes running all-MiniLM-L6-v2, honest and cheating, and full-tier jobs
from the CLI. An honest result is verified and paid; a cheat is caught by the auditor (or by
its own silence), the cheater slashed, and the job re-done by an honest worker, the submitter
paying only for the verified answer.

Needs VERITY_BIN (scripts/test sets it) and the model in the cache (scripts/test fetches it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey

import ports
import verity_sdk as sdk
from test_market import Net, cli, online_providers, send, start_devnet, wait_job, wait_ready, wait_signature
from test_node_rpc import SOL, raw_rpc

BIN = os.environ.get("VERITY_BIN", "")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    if not BIN:
        pytest.fail("VERITY_BIN is not set", pytrace=False)
    data = tmp_path_factory.mktemp("auditnet")
    devnet, bound = start_devnet(data)
    net = Net(url=f"http://127.0.0.1:{bound[0]}", ports=bound, data=data, devnet=devnet)
    try:
        wait_ready(net.url, data)
        deadline = time.time() + 120
        while not [p for p in online_providers(net.url) if "audit" in p["roles"]]:
            assert time.time() < deadline, "the devnet's auditor did not register"
            time.sleep(0.2)
        yield net
    finally:
        ports.stop_all(list(net.workers.values()) + [net.devnet])


def devnet_without_agents(tmp_path_factory, name: str, forced_error_ppm: int):
    """A devnet with no worker or auditor of its own (a test starts the agents it needs) and
    the given forced-error rate: yields its Net, then stops it and every agent started."""
    if not BIN:
        pytest.fail("VERITY_BIN is not set", pytrace=False)
    data = tmp_path_factory.mktemp(name)
    devnet, ready = ports.start(["devnet", "--data-dir", str(data), "--workers", "0", "--auditors", "0", "--rpc-port", "0",
                                 "--forced-error-ppm", str(forced_error_ppm)], f"{data}.log")
    net = Net(url=f"http://127.0.0.1:{ready['rpcPort']}", ports=(ready["rpcPort"], ready["webSocketPort"]), data=data, devnet=devnet)
    try:
        wait_ready(net.url, data)
        yield net
    finally:
        ports.stop_all(list(net.workers.values()) + [net.devnet])


def funded_keypair(net: Net, name: str) -> tuple[Keypair, Path]:
    """A new keypair written to `<name>.json` in the devnet's folder, airdropped 10 SOL."""
    kp = Keypair()
    path = net.data / f"{name}.json"
    path.write_text(json.dumps(list(bytes(kp))))
    sig = raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "requestAirdrop", "params": [str(kp.pubkey()), 10 * SOL]})["result"]
    wait_signature(net.url, sig)
    return kp, path


def start_agent(net: Net, name: str, command: str, *extra: str) -> str:
    """Starts a funded `verity worker` or `verity auditor` process and returns its provider
    account once the market counts it online."""
    kp, path = funded_keypair(net, name)
    log = open(net.data / f"{name}.log", "ab")
    proc = subprocess.Popen([BIN, command, "--rpc", net.url, "--keypair", str(path), "--models", "minilm", *extra],
                            stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ, VERITY_THREADS="1"))
    net.workers[name] = proc
    authority = str(kp.pubkey())
    deadline = time.time() + 120
    while True:
        mine = [p for p in online_providers(net.url) if p["authority"] == authority]
        if mine:
            return mine[0]["account"]
        assert proc.poll() is None, f"{command} {name} exited: {(net.data / f'{name}.log').read_text()[-2000:]}"
        assert time.time() < deadline, f"{command} {name} did not register"
        time.sleep(0.2)


def start_worker(net: Net, name: str, *extra: str) -> str:
    return start_agent(net, name, "worker", "--concurrency", "1", "--trace-dir", str(net.data / f"traces-{name}"), *extra)


def stop_worker(net: Net, name: str, account: str) -> None:
    """Stops a worker and waits until the market no longer counts it online (so no later
    test's job goes to it)."""
    proc = net.workers.pop(name)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    deadline = time.time() + 30
    while account in {p["account"] for p in online_providers(net.url)}:
        assert time.time() < deadline, f"worker {name} still counted online"
        time.sleep(0.2)


def submit_full(net: Net, text: str) -> str:
    out = cli("job", "submit", "--rpc", net.url, "--keypair", str(net.data / "user.json"), "--model", "minilm",
              "--text", text, "--tier", "full")
    return json.loads(out.stdout)["job"]


def balance(net: Net, key: str) -> int:
    return raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "getBalance", "params": [key]})["result"]["value"]


def provider(net: Net, account: str) -> dict:
    return sdk.rpc(net.url, "verityGetProvider", [account])


def test_an_honest_full_tier_job_is_verified_and_finalized(net: Net):
    honest = start_worker(net, "honest-a")
    try:
        out = cli("job", "submit", "--rpc", net.url, "--keypair", str(net.data / "user.json"), "--model", "minilm",
                  "--text", "An audited embedding of a sentence.", "--tier", "full", "--wait", "--timeout", "90")
        job = json.loads(out.stdout)
        assert job["status"] == "finalized"
        assert job["verification"]["verdict"] == "verified"
        assert job["verification"]["auditVerdict"] == "attested"
        assert job["verification"]["auditor"] in {p["account"] for p in online_providers(net.url) if "audit" in p["roles"]}
        assert job["verification"]["bundle"] and job["verification"]["revealed"]
        # The root the chain matched the bundle to, one of the two the result committed.
        assert job["verification"]["bundleRoot"] in {job["traceRoot"], job["altTraceRoot"]}
        assert job["rejected"] == []
        assert job["provider"] == honest and job["feePaid"] == job["fee"] > 0
        assert job["verification"]["auditFeePaid"] > 0
        assert provider(net, honest)["slashed"] == 0
    finally:
        stop_worker(net, "honest-a", honest)


# The reason is the first failing step's: a skipped layer's output (a derived layer norm) is
# not what the next layer's qkv GEMM was computed from, recomputed (or, for the last layer, no
# longer the layer norm of its inputs); a random or reused output is not the trace's last
# tensor; float16 weights already make the embeddings' layer norm, which the first GEMM reads,
# differ from the registered weights'.
@pytest.mark.parametrize("cheat,reasons", [
    ("perturb", {"gemm"}),
    ("withhold-trace", {"withheld"}),
    ("skip-layer", {"gemm", "recompute"}),
    ("random-output", {"custody"}),
    ("reuse-output", {"custody"}),
    ("other-model", {"recompute", "gemm"}),
])
def test_a_cheating_worker_is_caught_slashed_and_the_job_redone(net: Net, cheat: str, reasons: set):
    cheater = start_worker(net, f"cheat-{cheat}", "--cheat", cheat)
    if cheat == "reuse-output":
        # Its first answer is honest (and paid); the cheat is posting it again for another input.
        first = submit_full(net, "The first input, which this worker answers honestly.")
        assert wait_job(net.url, first, {"finalized", "expired"}, timeout=90)["status"] == "finalized"
    before = provider(net, cheater)
    user = str(Keypair.from_bytes(bytes(json.loads((net.data / "user.json").read_text()))).pubkey())
    spent_before = balance(net, user)
    # A submission that grows the market's book (its list of open jobs) pays that account's
    # rent for the growth; the book keeps it. Only the first job on a fresh devnet does.
    book = str(sdk.book_address())
    book_before = balance(net, book)
    honest = None
    try:
        job_address = submit_full(net, f"A job for a worker that cheats by {cheat}.")
        # The auditor challenges a perturbed trace (the referee rejects it in the next blocks);
        # a withheld trace is rejected at the trace deadline (30 s).
        deadline = time.time() + 90
        while True:
            job = sdk.rpc(net.url, "verityGetJob", [job_address])
            if job["rejected"]:
                break
            assert job["status"] not in ("finalized", "expired", "cancelled"), job
            assert time.time() < deadline, f"the cheat was not caught: {job}"
            time.sleep(0.1)
        rejection = job["rejected"][0]
        assert rejection["provider"] == cheater
        assert rejection["reason"] in reasons, rejection
        assert rejection["slashedLamports"] > 0
        after = provider(net, cheater)
        assert after["stake"] == before["stake"] - rejection["slashedLamports"]
        assert after["earned"] == before["earned"]
        assert cheater in job["excluded"] or job["status"] == "pending"
        # An honest worker takes the job over; it is verified and paid once, to it.
        honest = start_worker(net, f"honest-after-{cheat}")
        final = wait_job(net.url, job_address, {"finalized", "expired"}, timeout=90)
        assert final["status"] == "finalized", json.dumps([final, sdk.rpc(net.url, "verityGetProviders")])
        assert final["provider"] == honest
        assert final["verification"]["verdict"] == "verified"
        assert [r["provider"] for r in final["rejected"]] == [cheater]
        assert final["feePaid"] == final["fee"] > 0
        # The submitter paid the honest fee, its audit's fee, the job account's rent and one
        # signature; nothing for the rejected result: the rest of the escrow came back.
        assert provider(net, cheater)["earned"] == before["earned"]
        assert provider(net, honest)["earned"] > 0
        rent = raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "getMinimumBalanceForRentExemption", "params": [1536]})["result"]
        spent = spent_before - balance(net, user)
        book_growth = balance(net, book) - book_before
        assert spent == final["feePaid"] + final["verification"]["auditFeePaid"] + rent + 5000 + book_growth, json.dumps(final)
    finally:
        stop_worker(net, f"cheat-{cheat}", cheater)
        if honest:
            stop_worker(net, f"honest-after-{cheat}", honest)


def test_a_publication_off_its_commitment_is_proven_by_a_third_party(net: Net):
    """`--cheat tamper-bundle` flips one low bit of a GEMM output after hashing. The published
    bytes still compute the committed output, so the devnet's auditor attests them: it answers
    for their computation, and the chain judges it on nothing more. The result is final and
    paid at once. It is not what the trace root commits to, though, and a final result answers
    for its trace until its challenge window closes: anyone who hashes the publication
    (`verity verify audit --root`) sees it, challenges that step with a bond (a plain `solders`
    transaction), and the result is overturned: the provider alone slashed, the challenger
    paid, the submitter refunded what it paid."""
    cheater = start_worker(net, "cheat-tamper", "--cheat", "tamper-bundle")
    before = provider(net, cheater)
    text = "A job whose published trace is not quite its commitment."
    submitter = str(Keypair.from_bytes(bytes(json.loads((net.data / "user.json").read_text()))).pubkey())
    try:
        job_address = submit_full(net, text)
        job = wait_job(net.url, job_address, {"finalized", "expired"}, timeout=90)
        assert job["status"] == "finalized" and job["provider"] == cheater and job["verification"]["verdict"] == "verified", job
        assert job["challengeWindowEndMs"] > job["closedMs"], job
        auditor = job["verification"]["auditor"]
        auditor_before = provider(net, auditor)
        submitter_before = balance(net, submitter)
        bundle = net.data / "tampered-publication.vtrace"
        bundle.write_bytes(sdk.get_blob(net.url, job["verification"]["bundle"]))
        shown = cli("verify", "audit", str(bundle), "--text", text, "--output-hash", job["output"],
                    "--root", job["verification"]["bundleRoot"], check=False)
        assert shown.returncode == 1, shown.stdout + shown.stderr
        found = json.loads(shown.stdout)
        assert not found["passed"] and "digest" in found["reason"], found
        stranger = Keypair()
        wait_signature(net.url, raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "requestAirdrop", "params": [str(stranger.pubkey()), 10 * SOL]})["result"])
        assert asyncio.run(send(net.url, stranger, sdk.challenge(stranger.pubkey(), Pubkey.from_string(job_address), found["failedStep"]))) == ""
        job = wait_job(net.url, job_address, {"overturned"}, timeout=60)
        assert job["verification"]["verdict"] == "rejected", job
        rejection = job["rejected"][0]
        assert rejection["provider"] == cheater and rejection["reason"] == "digest" and rejection["step"] == found["failedStep"], rejection
        assert rejection["slashedLamports"] > 0
        assert provider(net, cheater)["stake"] == before["stake"] - rejection["slashedLamports"]
        # The auditor attested what it was asked to: the bytes' computation in its rows.
        auditor_after = provider(net, auditor)
        assert auditor_after["slashed"] == auditor_before["slashed"] and auditor_after["stake"] == auditor_before["stake"]
        assert any(c["challenger"] == str(stranger.pubkey()) and c["result"] == "upheld" for c in job["challenges"]), job["challenges"]
        # The submitter paid for a result proven wrong: it gets the fee and the audit fee back.
        paid = job["feePaid"] + job["verification"]["auditFeePaid"]
        assert paid > 0 and job["refundedLamports"] == paid, job
        assert balance(net, submitter) == submitter_before + paid
    finally:
        stop_worker(net, "cheat-tamper", cheater)


def test_a_false_challenge_of_a_final_result_loses_its_bond(net: Net):
    """`verity job challenge` from a stranger's keypair file: a step of an honest full-tier
    result, challenged after it is final, holds; the bond is forfeited and the result stays
    final and verified. Once the challenge window has closed, the chain refuses any challenge
    with a clear error and nothing changes."""
    honest = start_worker(net, "honest-doubted")
    try:
        job_address = submit_full(net, "An honest answer that a stranger doubts.")
        job = wait_job(net.url, job_address, {"finalized", "expired"}, timeout=90)
        assert job["status"] == "finalized" and job["verification"]["verdict"] == "verified", job
        stranger = Keypair()
        path = net.data / "stranger.json"
        path.write_text(json.dumps(list(bytes(stranger))))
        wait_signature(net.url, raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "requestAirdrop", "params": [str(stranger.pubkey()), SOL]})["result"])
        bond = sdk.rpc(net.url, "verityGetMarket")["params"]["challengeBond"]
        before = balance(net, str(stranger.pubkey()))
        out = cli("job", "challenge", job_address, "--rpc", net.url, "--keypair", str(path), "--step", "2", "--wait")
        outcome = json.loads(out.stdout)
        assert outcome["result"] == "dismissed" and outcome["step"] == 2 and outcome["bond"] == bond, outcome
        assert outcome["status"] == "finalized" and outcome["verdict"] == "verified", outcome
        assert balance(net, str(stranger.pubkey())) == before - bond - 5000
        after = sdk.rpc(net.url, "verityGetJob", [job_address])
        assert after["status"] == "finalized" and after["rejected"] == [] and after["refundedLamports"] == 0, after
        # Past the window the result no longer answers, and the job is left as it was. (The
        # node's block clock is this machine's wall clock. Preflight simulates on the last
        # block's time, which an idle node may hold before the window's end: the refusal then
        # comes from the block, as a failed transaction that pays its fee and changes nothing.)
        time.sleep(max(0.0, (after["challengeWindowEndMs"] + 500) / 1000 - time.time()))
        late = cli("job", "challenge", job_address, "--rpc", net.url, "--keypair", str(path), "--step", "2", check=False)
        assert late.returncode != 0 and "the job is closed" in late.stderr, late.stderr
        assert "challenge refused" in late.stderr or "challenge failed on chain" in late.stderr, late.stderr
        assert sdk.rpc(net.url, "verityGetJob", [job_address]) == after
    finally:
        stop_worker(net, "honest-doubted", honest)


def test_a_worker_restarted_before_publishing_recomputes_its_trace(net: Net):
    """The run is kept in memory: a worker process that stops after its result is drawn for
    audit recomputes it when it comes back (input from the node, salt from its trace
    folder), publishes it, and is paid, not slashed. The first process here withholds (so the
    restart is certain to happen before publication); the second is honest."""
    kp = Keypair()
    path = net.data / "restarting.json"
    path.write_text(json.dumps(list(bytes(kp))))
    wait_signature(net.url, raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "requestAirdrop", "params": [str(kp.pubkey()), 10 * SOL]})["result"])
    traces = net.data / "traces-restarting"

    def launch(*extra: str) -> str:
        log = open(net.data / "restarting.log", "ab")
        net.workers["restarting"] = subprocess.Popen(
            [BIN, "worker", "--rpc", net.url, "--keypair", str(path), "--models", "minilm", "--concurrency", "1", "--trace-dir", str(traces), *extra],
            stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ, VERITY_THREADS="1"))
        deadline = time.time() + 120
        while True:
            mine = [p for p in online_providers(net.url) if p["authority"] == str(kp.pubkey())]
            if mine:
                return mine[0]["account"]
            assert time.time() < deadline, "the worker did not come online"
            time.sleep(0.2)

    account = launch("--cheat", "withhold-trace")
    try:
        job_address = submit_full(net, "A job whose worker restarts before it publishes.")
        deadline = time.time() + 60
        while (job := sdk.rpc(net.url, "verityGetJob", [job_address]))["status"] != "awaitingTrace":
            assert job["status"] in ("pending", "assigned", "completed"), job
            assert time.time() < deadline, f"the result was not drawn: {job}"
            time.sleep(0.05)
        assert job["provider"] == account
        stop_worker(net, "restarting", account)
        assert launch() == account
        final = wait_job(net.url, job_address, {"finalized", "expired"}, timeout=90)
        assert final["status"] == "finalized" and final["verification"]["verdict"] == "verified", final
        assert final["rejected"] == [] and final["provider"] == account
        assert provider(net, account)["slashed"] == 0
        assert "trace recomputed from its input" in (net.data / "restarting.log").read_text()
    finally:
        if "restarting" in net.workers:
            stop_worker(net, "restarting", account)
