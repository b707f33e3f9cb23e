"""A real `verity node` under hostile clients, at the socket: what the in-process tests cannot
reach because the door is the socket itself.

- WebSocket frames a client sends unmasked are refused with close code 1002 (RFC 6455 §5.1).
- A WebSocket client that subscribes and stops reading is dropped once its queue passes
  --max-queued-bytes (reset a second later, since it reads no close frame), and the node's
  memory stays bounded.
- More than --max-connections-per-client WebSocket connections from one address: the extra one
  is closed with 1008 and the reason.
- An upload that stalls is cut after --idle-timeout-ms and leaves no temporary file.
- The requests that once stopped the node (issue #12) are answered over HTTP and WebSocket.
- A seeded live fuzz: a few thousand random JSON-RPC requests and WebSocket messages; then the
  node answers, and a restart replays to the same state root.

Needs VERITY_BIN; scripts/test sets it. The WebSocket client here is a few lines over a raw
socket, so that it can do what a well-behaved library will not (unmasked frames, not reading).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import random
import socket
import struct
import time
import urllib.error
import urllib.request

import pytest
import ports
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

SOL = 1_000_000_000
QUEUED_LIMIT = 64 * 1024
CONNECTION_LIMIT = 4
IDLE_MS = 1000


def rpc(url: str, method: str, params=None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return {"httpStatus": error.code}


def start(data_dir: str) -> dict:
    """A node on port 0 with small limits; its process and the ports it bound."""
    proc, ready = ports.start(
        ["node", "--data-dir", data_dir, "--rpc-port", "0", "--faucet-lamports", str(10**6 * SOL), "--slot-ms", "20",
         "--max-queued-bytes", str(QUEUED_LIMIT), "--max-connections-per-client", str(CONNECTION_LIMIT), "--idle-timeout-ms", str(IDLE_MS)],
        f"{data_dir}.log")
    return {"proc": proc, "port": ready["rpcPort"], "ws_port": ready["webSocketPort"], "url": ready["rpc"], "data_dir": data_dir}


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    state = start(str(tmp_path_factory.mktemp("hostile") / "node"))
    yield state
    ports.stop(state["proc"])


def alive(node) -> None:
    assert node["proc"].poll() is None, "the node died"
    assert rpc(node["url"], "getHealth").get("result") == "ok"


# --------------------------------------------------------------------------
# A minimal WebSocket client over a raw socket.


def ws_connect(ws_port: int, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(20)
    sock.connect(("127.0.0.1", ws_port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def ws_send(sock: socket.socket, text: str, masked: bool = True) -> None:
    payload = text.encode()
    header = bytes([0x81])
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        header += bytes([mask_bit | length])
    elif length < 1 << 16:
        header += bytes([mask_bit | 126]) + struct.pack(">H", length)
    else:
        header += bytes([mask_bit | 127]) + struct.pack(">Q", length)
    if masked:
        mask = os.urandom(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        header += mask
    sock.sendall(header + payload)


def recv_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def ws_recv(sock: socket.socket) -> tuple[int, bytes]:
    """The next frame's opcode and payload (server frames are not masked)."""
    first, second = recv_exactly(sock, 2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack(">H", recv_exactly(sock, 2))[0]
    elif length == 127:
        length = struct.unpack(">Q", recv_exactly(sock, 8))[0]
    return first & 0x0F, recv_exactly(sock, length)


def ws_call(sock: socket.socket, method: str, params=None, request_id: int = 1) -> dict:
    ws_send(sock, json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}))
    while True:
        opcode, payload = ws_recv(sock)
        if opcode == 1:
            message = json.loads(payload)
            if message.get("id") == request_id:
                return message
        elif opcode == 8:
            raise ConnectionError(f"closed: {payload!r}")


def close_code(payload: bytes) -> tuple[int, str]:
    return struct.unpack(">H", payload[:2])[0], payload[2:].decode(errors="replace")


# --------------------------------------------------------------------------


def test_unmasked_frames_are_refused_with_1002(node):
    sock = ws_connect(node["ws_port"])
    try:
        assert "result" in ws_call(sock, "slotSubscribe")
        ws_send(sock, json.dumps({"jsonrpc": "2.0", "id": 2, "method": "slotSubscribe"}), masked=False)
        deadline = time.time() + 10
        while time.time() < deadline:
            opcode, payload = ws_recv(sock)
            if opcode == 8:
                code, reason = close_code(payload)
                assert code == 1002 and "masked" in reason
                break
            assert b'"id":2' not in payload, "the unmasked request was answered"
        else:
            pytest.fail("no close frame after an unmasked frame")
    finally:
        sock.close()
    alive(node)


def test_a_client_that_stops_reading_is_dropped(node):
    sock = ws_connect(node["ws_port"], receive_buffer=4096)
    try:
        for i in range(1000):
            ws_send(sock, json.dumps({"jsonrpc": "2.0", "id": i, "method": "slotSubscribe"}))
        time.sleep(6)  # 1,000 slot notifications per 20 ms block, none read
        rss_kb = int(next(line.split()[1] for line in open(f"/proc/{node['proc'].pid}/status") if line.startswith("VmRSS")))
        assert rss_kb < 400_000, f"node RSS {rss_kb} kB with a non-reading client"
        # The node does not wait for the client to drain the sockets (megabytes, a few kB a
        # read): a second after the drop it resets the connection, and the reset is pending
        # here, still unread. (The drop comes once the kernel's buffers are full, later on a
        # host with larger ones or slower blocks.)
        error, deadline = 0, time.time() + 30
        while not error and time.time() < deadline:
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            time.sleep(0.1)
        assert error == errno.ECONNRESET, f"the connection was not reset (SO_ERROR {error})"
        # Reading now ends at once.
        received, closed = 0, False
        deadline = time.time() + 30
        try:
            while time.time() < deadline:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    closed = True
                    break
                received += len(chunk)
        except (ConnectionResetError, EOFError):
            closed = True
        assert closed, f"the connection was not dropped ({received} bytes read)"
    finally:
        sock.close()
    alive(node)
    fresh = ws_connect(node["ws_port"])
    assert "result" in ws_call(fresh, "slotSubscribe")
    fresh.close()


def test_connections_per_client_are_capped(node):
    socks = [ws_connect(node["ws_port"]) for _ in range(CONNECTION_LIMIT)]
    try:
        for sock in socks:
            assert "result" in ws_call(sock, "slotSubscribe")
        extra = ws_connect(node["ws_port"])
        opcode, payload = ws_recv(extra)
        while opcode != 8:
            opcode, payload = ws_recv(extra)
        code, reason = close_code(payload)
        assert code == 1008 and "too many connections" in reason
        extra.close()
        socks.pop().close()
        time.sleep(0.5)
        again = ws_connect(node["ws_port"])
        socks.append(again)
        assert "result" in ws_call(again, "slotSubscribe")
    finally:
        for sock in socks:
            sock.close()
    alive(node)


def test_a_stalled_upload_is_cut_and_leaves_nothing(node):
    data = os.urandom(1000)
    digest = hashlib.sha256(data).hexdigest()
    sock = socket.create_connection(("127.0.0.1", node["port"]), timeout=30)
    try:
        sock.sendall((f"PUT /blobs/{digest} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(data)}\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n").encode() + data[:10])
        started = time.time()
        reply = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except ConnectionResetError:
            pass
        waited = time.time() - started
        assert waited < 20, "the stalled upload was not cut"
        assert b"201" not in reply.split(b"\r\n")[0]
    finally:
        sock.close()
    time.sleep(0.5)
    tmp = os.path.join(node["data_dir"], "blobs", "tmp")
    assert not [name for name in os.listdir(tmp) if digest in name], "a temporary file was left behind"
    assert rpc(node["url"], "getHealth").get("result") == "ok"


def test_the_requests_that_stopped_the_node_are_answered(node):
    url = node["url"]
    assert rpc(url, "getBlock", [9223372036854775808])["error"]["code"] == -32004
    assert rpc(url, "getBlockTime", [10**19])["error"]["code"] == -32004
    assert rpc(url, "getBlockTime", [], raw=b'{"jsonrpc":"2.0","id":1,"method":"getBlockTime","params":[1e19]}')["error"]["code"] == -32602
    system = "11111111111111111111111111111111"
    found = rpc(url, "getProgramAccounts", [system, {"filters": [{"memcmp": {"offset": 9223372036854775807, "bytes": "2"}}]}])
    assert found["result"] == []
    started = time.time()
    huge = rpc(url, "sendTransaction", ["z" * 1_000_000])
    assert huge["error"]["code"] == -32602 and "too large" in huge["error"]["message"]
    assert time.time() - started < 10
    assert rpc(url, "getSlot", raw=b'{"jsonrpc":"2.0","id":18446744073709551615,"method":"getSlot"}')["id"] == 2**64 - 1
    sock = ws_connect(node["ws_port"])
    try:
        reply = ws_call(sock, "slotUnsubscribe", [9223372036854775808])
        assert reply["error"]["code"] == -32602
    finally:
        sock.close()
    alive(node)


def fuzz_value(rng: random.Random, depth: int = 2):
    choice = rng.randrange(10 if depth > 0 else 7)
    if choice == 0:
        return rng.choice([0, 1, -1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30, 1.5, -0.0])
    if choice == 1:
        return rng.choice(["", "all", "base64", "base58", "jsonParsed", "x" * rng.choice([1, 44, 88, 2000, 70_000])])
    if choice == 2:
        return str(Keypair().pubkey())
    if choice == 3:
        return base64.b64encode(os.urandom(rng.randrange(200))).decode()
    if choice == 4:
        return rng.choice([True, False, None])
    if choice in (5, 6):
        return {rng.choice(["encoding", "filters", "limit", "before", "commitment", "transactionDetails", "statuses", "once", "job",
                            "maxSupportedTransactionVersion", "skipPreflight", "provider"]): fuzz_value(rng, depth - 1) for _ in range(rng.randrange(4))}
    if choice == 7:
        return [{"memcmp": {"offset": fuzz_value(rng, 0), "bytes": fuzz_value(rng, 0)}}, {"dataSize": fuzz_value(rng, 0)}]
    return [fuzz_value(rng, depth - 1) for _ in range(rng.randrange(4))]


HTTP_METHODS = ["getBalance", "getAccountInfo", "getMultipleAccounts", "getProgramAccounts", "getBlock", "getBlockTime", "getBlocks",
                "getSignaturesForAddress", "getSignatureStatuses", "getTransaction", "getFeeForMessage", "simulateTransaction", "sendTransaction",
                "isBlockhashValid", "getMinimumBalanceForRentExemption", "requestAirdrop", "verityGetJobs", "verityGetModel", "verityGetProvider",
                "verityGetModels", "verityGetMarket", "nope"]
WS_METHODS = ["slotSubscribe", "accountSubscribe", "signatureSubscribe", "logsSubscribe", "verityJobSubscribe", "slotUnsubscribe", "accountUnsubscribe"]


def test_live_fuzz_then_a_restart_replays_to_the_same_root(node):
    rng = random.Random(1212)
    url = node["url"]
    payer = Keypair.from_seed(bytes(range(32)))
    assert "result" in rpc(url, "requestAirdrop", [str(payer.pubkey()), 1000 * SOL])
    codes: dict[int, int] = {}
    for i in range(3000):
        method = rng.choice(HTTP_METHODS)
        params = [fuzz_value(rng) for _ in range(rng.randrange(4))]
        if method == "sendTransaction" and rng.random() < 0.5:
            blockhash = Hash.from_string(rpc(url, "getLatestBlockhash")["result"]["value"]["blockhash"])
            tx = bytes(VersionedTransaction(Message.new_with_blockhash(
                [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=rng.randrange(1, 10**7)))],
                payer.pubkey(), blockhash), [payer]))
            if rng.random() < 0.3:
                position = rng.randrange(len(tx))
                tx = tx[:position] + bytes([tx[position] ^ 1]) + tx[position + 1:]
            params = [base64.b64encode(tx).decode(), {"encoding": "base64"}]
        body = json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}).encode()
        if rng.random() < 0.1:
            cut = rng.randrange(len(body))
            body = body[:cut] + bytes([rng.randrange(256)]) + body[cut + 1:]
        reply = rpc(url, method, raw=body)
        assert "result" in reply or "error" in reply or reply.get("httpStatus") in (400, 413), reply
        if "error" in reply:
            codes[reply["error"]["code"]] = codes.get(reply["error"]["code"], 0) + 1
    assert set(codes) <= {-32700, -32600, -32601, -32602, -32002, -32003, -32004, -32005}, codes
    sock = ws_connect(node["ws_port"])
    oversized = 0
    try:
        for i in range(1000):
            text = json.dumps({"jsonrpc": "2.0", "id": i, "method": rng.choice(WS_METHODS), "params": [fuzz_value(rng) for _ in range(rng.randrange(3))]})
            ws_send(sock, text)
            while True:
                opcode, payload = ws_recv(sock)
                if opcode == 8:
                    # A message over --max-ws-message-bytes (64 KiB) ends the connection with 1009.
                    assert close_code(payload)[0] == 1009 and len(text) > 64 * 1024, (payload, len(text))
                    oversized += 1
                    sock.close()
                    sock = ws_connect(node["ws_port"])
                    break
                assert opcode == 1, (opcode, payload)
                message = json.loads(payload)
                if message.get("id") == i:
                    assert "result" in message or message["error"]["code"] in (-32600, -32601, -32602)
                    break
    finally:
        sock.close()
    assert oversized > 0
    alive(node)
    # A clean stop and a restart replay the stored blocks to the same state root.
    time.sleep(0.5)
    before = rpc(url, "verityGetStateRoot")["result"]
    assert ports.stop(node["proc"]) == 0, "SIGTERM stops the node cleanly"
    node.update(start(node["data_dir"]))
    after = rpc(node["url"], "verityGetStateRoot")["result"]
    assert after["stateRoot"] == before["stateRoot"]
    assert after["slot"] >= before["slot"]
    alive(node)
