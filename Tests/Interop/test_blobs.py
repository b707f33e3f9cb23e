"""The blob store of a real `verity node`, over plain HTTP (urllib) and through `verity blob`.

Starts one node with --data-dir and a 3 MiB --max-blob-bytes, then checks: upload 201 and
re-upload 200, download and HEAD, a body whose SHA-256 is not the id refused with 422 and not
stored, over-limit uploads refused with 413 (with and without Content-Length) while the node
keeps answering JSON-RPC, 404 and 400, an upload cut off midway leaving nothing, concurrent
uploads of one blob, `POST /blobs` (the node names the upload: stored, re-uploaded, over the
limit), and the CLI round trip, including a download whose bytes were altered on
the node's disk being refused by the client.

Needs VERITY_BIN; scripts/test sets it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import ports

LIMIT = 3 << 20


def health(url: str) -> str:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getHealth"}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["result"]


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("node")
    proc, ready = ports.start(["node", "--data-dir", str(data_dir), "--rpc-port", "0", "--max-blob-bytes", str(LIMIT)], f"{data_dir}.log")
    assert health(ready["rpc"]) == "ok"
    yield ready["rpc"], data_dir / "blobs"
    ports.stop(proc)


def http(method: str, url: str, data=None, headers=None) -> tuple[int, dict, bytes]:
    """Status, headers and body, for error statuses too."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(blobs: Path) -> list[str]:
    return sorted(p.name for p in (blobs / "tmp").iterdir())


def test_upload_reupload_download_and_head(node):
    url, blobs = node
    data = os.urandom(2 << 20)  # over the 1 MiB JSON-RPC body limit, under the blob limit
    blob = f"{url}/blobs/{sha(data)}"
    status, _, body = http("PUT", blob, data)
    assert status == 201
    assert json.loads(body) == {"hash": sha(data), "size": len(data)}
    assert (blobs / sha(data)[:2] / sha(data)).read_bytes() == data
    status, _, body = http("PUT", blob, data)
    assert status == 200 and json.loads(body)["size"] == len(data)

    status, headers, body = http("GET", blob)
    assert status == 200 and body == data
    assert headers["Content-Type"] == "application/octet-stream"
    assert int(headers["Content-Length"]) == len(data)
    status, headers, body = http("HEAD", blob)
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(data)

    # Uppercase hex names the same blob.
    assert http("GET", f"{url}/blobs/{sha(data).upper()}")[2] == data


def test_bytes_that_do_not_hash_to_the_id_are_refused(node):
    url, blobs = node
    claimed, sent = os.urandom(1000), os.urandom(1000)
    status, _, body = http("PUT", f"{url}/blobs/{sha(claimed)}", sent)
    assert status == 422
    assert sha(sent) in json.loads(body)["error"]
    assert http("GET", f"{url}/blobs/{sha(claimed)}")[0] == 404
    assert http("HEAD", f"{url}/blobs/{sha(claimed)}")[0] == 404
    assert http("GET", f"{url}/blobs/{sha(sent)}")[0] == 404
    assert not (blobs / sha(claimed)[:2] / sha(claimed)).exists()
    assert leftovers(blobs) == []


def refuses_over_the_limit(method: str, url: str, over: bytes):
    """413 naming the limit, with Content-Length (refused at once) and chunked (the store stops
    at the limit while streaming)."""
    status, _, body = http(method, url, over)
    assert status == 413 and str(LIMIT) in json.loads(body)["error"]
    chunks = (over[i:i + 65536] for i in range(0, len(over), 65536))
    status, _, body = http(method, url, chunks, {"Transfer-Encoding": "chunked"})
    assert status == 413 and str(LIMIT) in json.loads(body)["error"]


def test_over_the_limit_is_refused_and_the_node_keeps_serving(node):
    url, blobs = node
    exact = os.urandom(LIMIT)
    assert http("PUT", f"{url}/blobs/{sha(exact)}", exact)[0] == 201

    over = os.urandom(LIMIT + 1)
    refuses_over_the_limit("PUT", f"{url}/blobs/{sha(over)}", over)
    assert http("GET", f"{url}/blobs/{sha(over)}")[0] == 404
    assert leftovers(blobs) == []
    assert health(url) == "ok"


def test_post_stores_under_the_id_the_node_computes(node):
    url, blobs = node
    data = os.urandom(2 << 20)
    status, _, body = http("POST", f"{url}/blobs", data, {"Content-Type": "application/octet-stream"})
    assert status == 201
    assert json.loads(body) == {"hash": sha(data), "size": len(data)}
    assert (blobs / sha(data)[:2] / sha(data)).read_bytes() == data
    # The same bytes again, by POST or PUT: the one blob, already stored.
    assert http("POST", f"{url}/blobs", data)[0] == 200
    assert http("PUT", f"{url}/blobs/{sha(data)}", data)[0] == 200
    assert http("GET", f"{url}/blobs/{sha(data)}")[2] == data

    over = os.urandom(LIMIT + 1)
    refuses_over_the_limit("POST", f"{url}/blobs", over)
    assert http("HEAD", f"{url}/blobs/{sha(over)}")[0] == 404

    # Seeded random bodies and framings (empty, odd sizes, chunked in odd pieces): each is
    # stored under its own SHA-256, and nothing is left half-written.
    import random
    rng = random.Random(11)
    for _ in range(24):
        body = rng.randbytes(rng.choice([0, 1, rng.randrange(2, 5000), rng.randrange(5000, 400_000)]))
        if rng.random() < 0.5:
            step = rng.randrange(1, 70_000)
            status, _, reply = http("POST", f"{url}/blobs", (body[i:i + step] for i in range(0, len(body), step)), {"Transfer-Encoding": "chunked"})
        else:
            status, _, reply = http("POST", f"{url}/blobs", body)
        assert status in (200, 201) and json.loads(reply) == {"hash": sha(body), "size": len(body)}
        assert http("GET", f"{url}/blobs/{sha(body)}")[2] == body
    assert leftovers(blobs) == []
    assert health(url) == "ok"


def test_unknown_and_malformed_ids(node):
    url, _ = node
    status, headers, body = http("GET", f"{url}/blobs/{sha(b'never stored')}")
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert sha(b"never stored") in json.loads(body)["error"]
    for bad in ("zz", "a" * 63, "a" * 65, "g" * 64, "%2E%2E%2F" + "a" * 55):
        for method, data in (("GET", None), ("PUT", b"x")):
            status, _, body = http(method, f"{url}/blobs/{bad}", data)
            assert status == 400, (method, bad)
            assert "64 hex digits" in json.loads(body)["error"]
        assert http("HEAD", f"{url}/blobs/{bad}")[0] == 400


def test_an_upload_cut_off_midway_leaves_nothing(node):
    url, blobs = node
    data = os.urandom(200_000)
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"PUT /blobs/{sha(data)} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(data)}\r\n\r\n".encode())
        s.sendall(data[:100_000])
        deadline = time.time() + 10
        while not leftovers(blobs) and time.time() < deadline:
            time.sleep(0.02)
        assert leftovers(blobs) != [], "the upload in progress has a temporary file"
    deadline = time.time() + 10
    while leftovers(blobs) and time.time() < deadline:
        time.sleep(0.05)
    assert leftovers(blobs) == []
    assert http("HEAD", f"{url}/blobs/{sha(data)}")[0] == 404
    assert health(url) == "ok"


def test_concurrent_uploads_of_one_blob(node):
    url, blobs = node
    data = os.urandom(500_000)
    statuses: list[int] = []

    def upload():
        statuses.append(http("PUT", f"{url}/blobs/{sha(data)}", data)[0])

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert http("GET", f"{url}/blobs/{sha(data)}")[2] == data
    assert leftovers(blobs) == []


def test_cli_put_and_get(node, tmp_path):
    url, blobs = node
    binary = os.environ["VERITY_BIN"]

    def verity(*args):
        return subprocess.run([binary, *args], capture_output=True, timeout=60)

    data = os.urandom(300_000)
    source = tmp_path / "input.bin"
    source.write_bytes(data)
    put = verity("blob", "put", str(source), "--rpc", url)
    assert put.returncode == 0, put.stderr
    assert put.stdout.decode().strip() == sha(data)

    out = tmp_path / "output.bin"
    got = verity("blob", "get", sha(data), "--rpc", url, "--out", str(out))
    assert got.returncode == 0, got.stderr
    assert out.read_bytes() == data
    assert verity("blob", "get", sha(data), "--rpc", url).stdout == data

    # Errors: one line on stderr, nothing on stdout, non-zero exit.
    for args in (["blob", "get", sha(b"absent"), "--rpc", url],
                 ["blob", "get", "not-hex", "--rpc", url],
                 ["blob", "put", str(tmp_path / "missing.bin"), "--rpc", url]):
        proc = verity(*args)
        assert proc.returncode != 0 and proc.stdout == b"", args
        assert len(proc.stderr.decode().strip().split("\n")) == 1, proc.stderr

    # The client re-hashes what it downloads: bytes altered on the node's disk are refused.
    victim = os.urandom(1000)
    (tmp_path / "victim.bin").write_bytes(victim)
    assert verity("blob", "put", str(tmp_path / "victim.bin"), "--rpc", url).returncode == 0
    (blobs / sha(victim)[:2] / sha(victim)).write_bytes(os.urandom(1000))
    proc = verity("blob", "get", sha(victim), "--rpc", url)
    assert proc.returncode != 0 and proc.stdout == b""
    assert sha(victim) in proc.stderr.decode()
