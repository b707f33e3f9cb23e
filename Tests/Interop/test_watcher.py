"""Watchers on a real devnet: `verity watcher` keeps final results honest when the assigned
auditor does not. The devnet has no agents of its own and plants no errors
(`--forced-error-ppm 0`); the module starts one watcher and one lazy auditor (`verity auditor
--lazy`, which attests every audit unchecked: a colluding auditor, as far as the provider's
cheat is concerned). Each test adds the worker it needs: the lazy auditor attests the cheat,
the result is final and paid, and the watcher proves the fault within the challenge window,
overturning it; an honest result it checks and leaves alone.

Needs VERITY_BIN (scripts/test sets it) and the model in the cache (scripts/test fetches it).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from solders.keypair import Keypair

import verity_sdk as sdk
from test_audit import BIN, balance, devnet_without_agents, funded_keypair, provider, start_agent, start_worker, stop_worker, submit_full
from test_market import Net, wait_job
from test_node_rpc import raw_rpc


class Agents:
    watcher: str
    log: Path
    lazy: str


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    yield from devnet_without_agents(tmp_path_factory, "watchnet", 0)


def start_watcher(net: Net, name: str) -> tuple[str, Path]:
    """A funded `verity watcher` process; returns its key and its log once it follows jobs."""
    kp, path = funded_keypair(net, name)
    log = net.data / f"{name}.log"
    out = open(log, "ab")
    net.workers[name] = subprocess.Popen([BIN, "watcher", "--rpc", net.url, "--keypair", str(path), "--models", "minilm"],
                                         stdout=out, stderr=out, env=dict(os.environ, VERITY_THREADS="1"))
    deadline = time.time() + 120
    while "watching results" not in log.read_text():
        assert net.workers[name].poll() is None, f"the watcher exited: {log.read_text()[-2000:]}"
        assert time.time() < deadline, "the watcher did not start"
        time.sleep(0.2)
    return str(kp.pubkey()), log


@pytest.fixture(scope="module")
def agents(net: Net) -> Agents:
    """A funded watcher, following the model's jobs, and a lazy auditor, the only one."""
    found = Agents()
    found.watcher, found.log = start_watcher(net, "watcher")
    # Staked at three times the minimum: a slash (half its stake) leaves it eligible for the
    # next test's audit.
    min_stake = sdk.rpc(net.url, "verityGetMarket")["params"]["minStake"]
    found.lazy = start_agent(net, "lazy", "auditor", "--lazy", "--stake", str(3 * min_stake))
    return found


def submitter(net: Net) -> str:
    return str(Keypair.from_bytes(bytes(json.loads((net.data / "user.json").read_text()))).pubkey())


def wait_log(log: Path, line: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while line not in log.read_text():
        assert time.time() < deadline, f"the watcher did not log {line!r}: {log.read_text()[-3000:]}"
        time.sleep(0.1)


def unsettled_jobs(net: Net, model: str) -> list[str]:
    return [j["job"] for j in sdk.rpc(net.url, "verityGetJobs", [{"model": model, "unsettled": True}])]


def test_a_watcher_leaves_an_honest_final_result_alone(net: Net, agents: Agents):
    honest = start_worker(net, "honest")
    try:
        before = balance(net, agents.watcher)
        job_address = submit_full(net, "An honest answer, attested unchecked and checked by a watcher.")
        job = wait_job(net.url, job_address, {"finalized", "expired"}, timeout=90)
        assert job["status"] == "finalized" and job["verification"]["verdict"] == "verified", job
        assert job["verification"]["auditor"] == agents.lazy
        wait_log(agents.log, f"job {job_address}: the published trace holds")
        # The market book holds the final result until its window closes: what a watcher reads
        # to catch up (by model; another model's list is empty).
        assert job_address in unsettled_jobs(net, job["model"])
        assert unsettled_jobs(net, "00" * 32) == []
        bad = raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "verityGetJobs", "params": [{"model": "not-a-model"}]})
        assert bad["error"]["code"] == -32602 and "invalid model id" in bad["error"]["message"], bad
        # Nothing challenged: the result stays final once its window closes, the watcher's
        # balance untouched, and the book lets it go (in the first block after the window).
        time.sleep(max(0.0, (job["challengeWindowEndMs"] + 500) / 1000 - time.time()))
        deadline = time.time() + 10
        while job_address in unsettled_jobs(net, job["model"]):
            assert time.time() < deadline, "the settled job stayed in the book"
            time.sleep(0.1)
        after = sdk.rpc(net.url, "verityGetJob", [job_address])
        assert after["status"] == "finalized" and after["challenges"] == [] and after["refundedLamports"] == 0, after
        assert balance(net, agents.watcher) == before
        assert provider(net, honest)["slashed"] == 0
    finally:
        stop_worker(net, "honest", honest)


@pytest.mark.parametrize("cheat,reason,auditor_liable", [
    # Every row of the skipped layer's steps is wrong: the attested rows too.
    ("skip-layer", {"gemm", "recompute"}, True),
    # The published bytes compute the committed output but are not its commitment: a digest
    # fault, the provider's alone.
    ("tamper-bundle", {"digest"}, False),
])
def test_a_watcher_overturns_a_cheat_the_auditor_attested(net: Net, agents: Agents, cheat: str, reason: set, auditor_liable: bool):
    cheater = start_worker(net, f"cheat-{cheat}", "--cheat", cheat)
    try:
        cheater_before, lazy_before = provider(net, cheater), provider(net, agents.lazy)
        watcher_before, submitter_before = balance(net, agents.watcher), balance(net, submitter(net))
        book = str(sdk.book_address())
        book_before = balance(net, book)
        job_address = submit_full(net, f"A job for a worker that cheats by {cheat}, attested unchecked.")
        job = wait_job(net.url, job_address, {"overturned", "expired"}, timeout=90)
        assert job["status"] == "overturned" and job["verification"]["verdict"] == "rejected", job
        # It was final first: attested by the lazy auditor and paid.
        assert job["verification"]["auditVerdict"] == "attested" and job["verification"]["auditor"] == agents.lazy, job
        [rejection] = job["rejected"]
        assert rejection["provider"] == cheater and rejection["reason"] in reason and rejection["slashedLamports"] > 0, rejection
        assert provider(net, cheater)["stake"] == cheater_before["stake"] - rejection["slashedLamports"]
        [challenge] = job["challenges"]
        assert challenge["challenger"] == agents.watcher and challenge["result"] == "upheld" and challenge["step"] == rejection["step"], challenge
        assert challenge["paidLamports"] > 0
        # The bond came back with the challenger's share; the watcher paid one signature.
        assert balance(net, agents.watcher) == watcher_before + challenge["paidLamports"] - 5000
        lazy_after = provider(net, agents.lazy)
        if auditor_liable:
            assert lazy_after["slashed"] > lazy_before["slashed"] and lazy_after["stake"] < lazy_before["stake"], lazy_after
        else:
            assert lazy_after["slashed"] == lazy_before["slashed"] and lazy_after["stake"] == lazy_before["stake"], lazy_after
        # The submitter gets back what it paid for the result: the job account's rent, its
        # signature and any growth of the market's book stay spent.
        paid = job["feePaid"] + job["verification"]["auditFeePaid"]
        assert paid > 0 and job["refundedLamports"] == paid, job
        rent = raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "getMinimumBalanceForRentExemption", "params": [1536]})["result"]
        assert submitter_before - balance(net, submitter(net)) == rent + 5000 + balance(net, book) - book_before
        wait_log(agents.log, f"job {job_address}: challenged step {rejection['step']}")
    finally:
        stop_worker(net, f"cheat-{cheat}", cheater)


def test_a_watcher_started_late_checks_a_result_still_in_its_window(net: Net, agents: Agents):
    """A watcher that was not listening when a result passed its audit (started later here; a
    dropped connection is the same) reads the model's unsettled jobs once its subscription is
    acknowledged, and checks the result while its window is open."""
    honest = start_worker(net, "honest-late")
    try:
        job_address = submit_full(net, "A result a watcher hears of only after it is final.")
        job = wait_job(net.url, job_address, {"finalized", "expired"}, timeout=90)
        assert job["status"] == "finalized", job
        _, late_log = start_watcher(net, "late-watcher")
        assert time.time() * 1000 < job["challengeWindowEndMs"], "the watcher took the whole window to start"
        wait_log(late_log, f"job {job_address}: the published trace holds", timeout=30)
    finally:
        stop_worker(net, "honest-late", honest)
