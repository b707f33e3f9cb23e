#!/usr/bin/env python3
"""Full-tier job latency on a devnet: submit -> final (`finalized`, verdict `verified`).

Starts `verity devnet --workers 1` (one auditor) on free ports in a temporary folder, waits for
the worker and the auditor to register, then submits N full-tier jobs one after another with
`verity job submit --tier full` (a new process each: keypair read, input upload, Submit) and
polls `verityGetJob` every 5 ms until the job is final: status `finalized` (its audit passed,
the result paid) with the verdict `verified`. Prints p50, min, max.

With --watchers N the devnet also starts N watchers, which check each final result again
while the next job runs; the script then counts their checks in the devnet's log.

Usage: .venv/bin/python scripts/bench-full-tier.py [--verity .build/release/verity] [--jobs 15] [--watchers 0]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import sys
from pathlib import Path

# The interop tests' small SDK reads the node's JSON-RPC.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests" / "Interop"))
from verity_sdk import rpc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verity", default=".build/release/verity")
    parser.add_argument("--jobs", type=int, default=15)
    parser.add_argument("--watchers", type=int, default=0, help="watcher processes the devnet starts (verity devnet --watchers)")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="verity-full-tier-")
    done = False
    log = open(os.path.join(data, "devnet.log"), "wb")
    devnet = subprocess.Popen([args.verity, "devnet", "--data-dir", data, "--workers", "1", "--watchers", str(args.watchers), "--rpc-port", "0"], stdout=subprocess.PIPE, stderr=log)
    try:
        url = None
        assert devnet.stdout is not None
        for raw in devnet.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("event") == "listening":
                url = message["rpc"]
                break
        if url is None:
            raise SystemExit(f"the devnet did not start; see {data}/devnet.log")
        deadline = time.time() + 300
        while len(rpc(url, "verityGetProviders", [])) < 2:
            if time.time() > deadline:
                raise SystemExit("the worker and the auditor did not register")
            time.sleep(0.2)
        keypair = os.path.join(data, "user.json")
        latencies = []
        for n in range(args.jobs):
            start = time.perf_counter()
            out = subprocess.run([args.verity, "job", "submit", "--rpc", url, "--keypair", keypair, "--tier", "full",
                                  "--text", f"verifiable inference number {n} for the benchmark"], capture_output=True, text=True, check=True)
            job = json.loads(out.stdout)["job"]
            while True:
                record = rpc(url, "verityGetJob", [job])
                verdict = (record.get("verification") or {}).get("verdict")
                if record.get("status") == "finalized" and verdict == "verified":
                    break
                if verdict == "rejected" or record.get("status") in ("expired", "cancelled", "overturned"):
                    raise SystemExit(f"job {job} ended {record.get('status')} / {verdict}")
                time.sleep(0.005)
            latencies.append((time.perf_counter() - start) * 1000)
            print(f"job {n + 1}: {latencies[-1]:.0f} ms", flush=True)
        print(f"full tier, submit -> finalized and verified, {len(latencies)} jobs: p50 {statistics.median(latencies):.0f} ms, "
              f"min {min(latencies):.0f} ms, max {max(latencies):.0f} ms")
        if args.watchers:
            # The watchers check each result after it is final: give the last one time to end.
            time.sleep(2)
            lines = [line for line in open(os.path.join(data, "devnet.log"), errors="replace") if "verity.watcher:" in line]
            held = sum("the published trace holds" in line for line in lines)
            challenged = sum(": challenged step" in line for line in lines)
            print(f"watchers: {held} checks held, {challenged} challenges ({args.jobs} results, {args.watchers} watcher(s))")
        done = True
    finally:
        devnet.terminate()
        try:
            devnet.wait(timeout=60)
        except subprocess.TimeoutExpired:
            devnet.kill()
    # The devnet's folder (its blobs hold the model's 87 MB) is kept only when something failed.
    if done:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
