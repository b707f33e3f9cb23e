"""The verifier's dilemma on a real devnet: an auditor that attests without checking
(`verity auditor --lazy`) must lose money. On a devnet whose genesis forces a planted error
into every audited result (`--forced-error-ppm 1000000`), the lazy auditor attests the planted
bundle of round 1, is slashed once the honest bundle of round 2 proves the plant, and the
honest worker and the submitter are not harmed: the job ends verified and the worker paid.

Needs VERITY_BIN (scripts/test sets it) and the model in the cache (scripts/test fetches it).
"""

from __future__ import annotations

import time

import pytest

import verity_sdk as sdk
from test_audit import devnet_without_agents, provider, start_agent, start_worker, submit_full
from test_market import Net, wait_job


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    yield from devnet_without_agents(tmp_path_factory, "lazynet", 1_000_000)


def test_a_lazy_auditor_attesting_a_planted_error_is_slashed(net: Net):
    assert sdk.rpc(net.url, "verityGetMarket")["params"]["forcedErrorPpm"] == 1_000_000
    worker = start_worker(net, "worker")
    lazy = start_agent(net, "lazy", "auditor", "--lazy")
    lazy_before = provider(net, lazy)
    job_address = submit_full(net, "A job whose first audit carries a planted error.")
    # Round 1: the worker publishes the planted bundle, as the chain forced it to; the lazy
    # auditor (the only one) attests it without looking.
    deadline = time.time() + 90
    while True:
        job = sdk.rpc(net.url, "verityGetJob", [job_address])
        v = job["verification"]
        if v["round"] >= 2 or (v["auditVerdict"] == "attested" and v["auditor"] == lazy):
            break
        assert job["status"] not in ("finalized", "expired", "cancelled"), job
        assert time.time() < deadline, f"round 1 was not attested: {job}"
        time.sleep(0.1)
    # An honest auditor for round 2 (the lazy one, excluded from the job, takes it only if no
    # one else is free).
    start_agent(net, "honest-auditor", "auditor")
    final = wait_job(net.url, job_address, {"finalized", "expired"}, timeout=120)
    assert final["status"] == "finalized", final
    assert final["verification"]["verdict"] == "verified"
    assert final["verification"]["round"] == 2 and final["verification"]["forced"]
    # The plant cost the lazy auditor stake; the worker, which planted it as told, and the
    # submitter lost nothing: no rejection, the fee paid once to the worker.
    lazy_after = provider(net, lazy)
    assert lazy_after["slashed"] > lazy_before["slashed"], lazy_after
    assert lazy_after["stake"] < lazy_before["stake"]
    assert final["rejected"] == []
    assert final["provider"] == worker and final["feePaid"] == final["fee"] > 0
    worker_after = provider(net, worker)
    assert worker_after["slashed"] == 0 and worker_after["earned"] > 0
