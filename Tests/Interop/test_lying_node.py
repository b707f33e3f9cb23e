"""An auditor whose node lies about a bundle's bytes: on a devnet with no auditor of its own,
one `verity auditor` reads the chain through an HTTP proxy that serves every audit bundle with
one bit changed. The change fails the audit's custody check, but the bytes are not the
published blob (its SHA-256 is the blob id), so the auditor blames its node, not the provider:
it posts no challenge (which would cost it its bond) and downloads again. Once the proxy
stops lying, the same auditor attests, and the job ends verified with nobody slashed.

Needs VERITY_BIN (scripts/test sets it) and the model in the cache (scripts/test fetches it).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from solders.keypair import Keypair

import verity_sdk as sdk
from test_audit import BIN, devnet_without_agents, provider, start_worker, submit_full
from test_market import Net, online_providers, wait_job, wait_signature
from test_node_rpc import SOL, raw_rpc


class LyingProxy:
    """Forwards JSON-RPC posts and blob reads to the node; while `lying`, flips one bit of
    the last byte of every blob larger than `bundle_bytes` (the audit bundles: the final
    output's last float), and counts how many it served so."""

    def __init__(self, node: str, bundle_bytes: int = 1 << 20):
        self.node = node.rstrip("/")
        self.lying = True
        self.lies = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def forward(self, body: bytes | None) -> None:
                request = urllib.request.Request(proxy.node + self.path, data=body, method=self.command)
                if self.headers.get("Content-Type"):
                    request.add_header("Content-Type", self.headers["Content-Type"])
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, kind, data = response.status, response.headers.get("Content-Type"), response.read()
                except urllib.error.HTTPError as error:
                    status, kind, data = error.code, error.headers.get("Content-Type"), error.read()
                if self.command == "GET" and self.path.startswith("/blobs/") and status == 200 and len(data) > bundle_bytes and proxy.lying:
                    data = data[:-1] + bytes([data[-1] ^ 0x40])
                    proxy.lies += 1
                self.send_response(status)
                if kind:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self.forward(None)

            def do_POST(self) -> None:
                self.forward(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

        # The auditor would subscribe on the next port; nothing listens there, so it polls.
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    yield from devnet_without_agents(tmp_path_factory, "lyingnet", 0)


def test_an_auditor_whose_node_lies_downloads_again_and_never_challenges(net: Net):
    worker = start_worker(net, "worker")
    proxy = LyingProxy(net.url)
    try:
        kp = Keypair()
        path = net.data / "auditor.json"
        path.write_text(json.dumps(list(bytes(kp))))
        wait_signature(net.url, raw_rpc(net.url, {"jsonrpc": "2.0", "id": 1, "method": "requestAirdrop", "params": [str(kp.pubkey()), 10 * SOL]})["result"])
        log_path = net.data / "auditor.log"
        log = open(log_path, "ab")
        net.workers["auditor"] = subprocess.Popen([BIN, "auditor", "--rpc", proxy.url, "--keypair", str(path), "--models", "minilm"],
                                                  stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ, VERITY_THREADS="1"))
        deadline = time.time() + 120
        while not (mine := [p for p in online_providers(net.url) if p["authority"] == str(kp.pubkey())]):
            assert net.workers["auditor"].poll() is None, log_path.read_text()[-2000:]
            assert time.time() < deadline, "the auditor did not register"
            time.sleep(0.2)
        auditor = mine[0]["account"]
        auditor_before = provider(net, auditor)

        job_address = submit_full(net, "A job whose auditor reads through a node that lies.")
        deadline = time.time() + 60
        while "served other bytes" not in log_path.read_text():
            assert time.time() < deadline, f"the auditor never saw the lie: {sdk.rpc(net.url, 'verityGetJob', [job_address])}"
            time.sleep(0.1)
        assert proxy.lies >= 1
        job = sdk.rpc(net.url, "verityGetJob", [job_address])
        # Nothing posted against honest work: no challenge, no verdict, no bond at stake.
        assert job["status"] == "auditing" and job["verification"]["auditor"] == auditor, job
        assert job["verification"]["auditVerdict"] not in ("challenged", "attested") and job["challenges"] == [], job
        assert "challenged" not in log_path.read_text()

        proxy.lying = False
        final = wait_job(net.url, job_address, {"finalized", "expired"}, timeout=90)
        assert final["status"] == "finalized" and final["verification"]["verdict"] == "verified", final
        assert final["verification"]["auditor"] == auditor and final["rejected"] == [] and final["challenges"] == []
        assert provider(net, worker)["slashed"] == 0
        after = provider(net, auditor)
        assert after["slashed"] == auditor_before["slashed"] and after["stake"] == auditor_before["stake"]
    finally:
        proxy.close()
