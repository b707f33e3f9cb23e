#!/usr/bin/env python3
"""A Solana L1 for tests: standard JSON-RPC over HTTP around LiteSVM (from `solders`).

LiteSVM executes real Solana transactions (signature checks, fees, the System program, the
Memo program and the other default programs); this server adds what a cluster's RPC gives a
client and LiteSVM does not: a slot clock, a blockhash per slot valid for 150 slots,
confirmation levels (processed, confirmed after one more slot, finalized after
`--finality-slots`), per-address signature history and transaction lookup. Verity's L1 client
speaks only standard Solana JSON-RPC, so what works here works against a real cluster.

Methods: getHealth, getVersion, getGenesisHash, getSlot, getBlockHeight, getEpochInfo,
getLatestBlockhash, isBlockhashValid, getBalance, getAccountInfo,
getMinimumBalanceForRentExemption, getFeeForMessage, requestAirdrop, sendTransaction,
simulateTransaction, getSignatureStatuses, getSignaturesForAddress, getTransaction.

What it does not model: forks, skipped slots, commitment-specific account state (balances and
accounts are always the latest), address lookup tables in the history index.

Run: python Tests/Interop/l1_server.py [--port 0] [--slot-ms 100] [--finality-slots 32] [--blockhash-slots 150]
The first line on stdout is `l1 listening on http://127.0.0.1:PORT`. SIGUSR1 takes the L1
offline (the port refuses connections, slots keep advancing); SIGUSR2 brings it back on the
same port with its state intact. SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import signal
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from solders.hash import Hash
from solders.litesvm import LiteSVM
from solders.message import Message, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

MEMO_PROGRAMS = {
    "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",
    "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo",
}
BLOCKHASH_SLOTS = 150
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
LAMPORTS_PER_SIGNATURE = 5000
MAX_BODY_BYTES = 1 << 20


def b58encode(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    digits = ""
    while number:
        number, rest = divmod(number, 58)
        digits = B58[rest] + digits
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + digits


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = B58.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not a base58 digit")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


class RPCError(Exception):
    def __init__(self, code: int, message: str, data=None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


class Record:
    """A landed transaction: where, how it ended, and what a client may ask about it."""

    __slots__ = ("signature", "slot", "block_time", "wire", "err", "fee", "logs", "pre", "post", "memo", "keys")

    def __init__(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)


class L1:
    """LiteSVM plus a slot clock, blockhash window and history, behind one lock."""

    def __init__(self, slot_ms: int, finality_slots: int, blockhash_slots: int = BLOCKHASH_SLOTS):
        self.lock = threading.RLock()
        self.svm = LiteSVM().with_blockhash_check(False)
        self.slot_ms = slot_ms
        self.finality_slots = finality_slots
        self.blockhash_slots = blockhash_slots
        self.slot = 1
        self.genesis_time = int(time.time())
        self.genesis_hash = str(self.svm.latest_blockhash())
        self.blockhashes: deque[tuple[str, int]] = deque(maxlen=blockhash_slots + 1)
        self.blockhashes.append((str(self.svm.latest_blockhash()), self.slot))
        self.records: dict[str, Record] = {}
        self.by_address: dict[str, list[Record]] = {}
        self.transaction_count = 0

    # The clock -----------------------------------------------------------------------------

    def advance(self) -> None:
        with self.lock:
            self.slot += 1
            self.svm.warp_to_slot(self.slot)
            clock = self.svm.get_clock()
            clock.unix_timestamp = self.block_time()
            self.svm.set_clock(clock)
            self.svm.expire_blockhash()
            self.blockhashes.append((str(self.svm.latest_blockhash()), self.slot))

    def block_time(self) -> int:
        return self.genesis_time + (self.slot * self.slot_ms) // 1000

    def blockhash_slot(self, blockhash: str) -> int | None:
        for known, slot in self.blockhashes:
            if known == blockhash:
                return slot
        return None

    def confirmations(self, record: Record) -> int:
        return self.slot - record.slot

    def status_name(self, record: Record) -> str:
        depth = self.confirmations(record)
        if depth >= self.finality_slots:
            return "finalized"
        return "confirmed" if depth >= 1 else "processed"

    def meets(self, record: Record, commitment: str) -> bool:
        order = {"processed": 0, "confirmed": 1, "finalized": 2}
        have = order[self.status_name(record)]
        want = order.get({"recent": "processed", "single": "confirmed", "max": "finalized", "root": "finalized"}.get(commitment, commitment), 2)
        return have >= want

    # Transactions --------------------------------------------------------------------------

    def land(self, tx: VersionedTransaction, wire: bytes, result) -> Record:
        keys = [str(k) for k in tx.message.account_keys]
        meta = json.loads(result.to_json())
        err = meta.get("err")
        meta = meta.get("meta", meta)
        logs = meta.get("logs", [])
        record = Record(
            signature=str(tx.signatures[0]), slot=self.slot, block_time=self.block_time(), wire=wire, err=err,
            fee=meta.get("fee", 0), logs=logs, pre=None, post=[self.svm.get_balance(Pubkey.from_string(k)) or 0 for k in keys],
            memo=memo_field(tx), keys=keys,
        )
        self.records[record.signature] = record
        for key in dict.fromkeys(keys):
            self.by_address.setdefault(key, []).append(record)
        self.transaction_count += 1
        return record

    def send(self, wire: bytes, skip_preflight: bool) -> str:
        try:
            tx = VersionedTransaction.from_bytes(wire)
        except Exception as error:  # solders raises its own error types
            raise RPCError(-32602, f"invalid transaction: failed to deserialize VersionedTransaction: {error}")
        signature = str(tx.signatures[0])
        with self.lock:
            if not tx.verify_with_results() or not all(tx.verify_with_results()):
                raise RPCError(-32003, "Transaction signature verification failure")
            blockhash = str(tx.message.recent_blockhash)
            if signature in self.records:
                if skip_preflight:
                    return signature
                raise preflight_failure("AlreadyProcessed", [])
            if self.blockhash_slot(blockhash) is None:
                if skip_preflight:
                    return signature  # dropped, as a cluster drops it: its status stays null
                raise preflight_failure("BlockhashNotFound", [])
            pre = [self.svm.get_balance(k) or 0 for k in tx.message.account_keys]
            if not skip_preflight:
                simulated = self.svm.simulate_transaction(tx)
                failed = json.loads(simulated.to_json()) if type(simulated).__name__ == "FailedTransactionMetadata" else None
                if failed is not None:
                    raise preflight_failure(failed.get("err"), failed.get("meta", {}).get("logs", []))
            result = self.svm.send_transaction(tx)
            outcome = json.loads(result.to_json())
            if outcome.get("err") in ("AlreadyProcessed", "BlockhashNotFound", "SignatureFailure"):
                return signature  # not landed
            record = self.land(tx, wire, result)
            record.pre = pre
            return signature

    def airdrop(self, address: str, lamports: int) -> str:
        with self.lock:
            pubkey = Pubkey.from_string(address)
            pre = self.svm.get_balance(pubkey) or 0
            result = self.svm.airdrop(pubkey, lamports)
            outcome = json.loads(result.to_json())
            if outcome.get("err") is not None:
                raise RPCError(-32603, f"airdrop failed: {outcome['err']}")
            signature = str(result.signature())
            record = Record(
                signature=signature, slot=self.slot, block_time=self.block_time(), wire=None, err=None,
                fee=0, logs=[], pre=[pre], post=[self.svm.get_balance(pubkey) or 0], memo=None, keys=[address],
            )
            self.records[signature] = record
            self.by_address.setdefault(address, []).append(record)
            return signature


def memo_field(tx: VersionedTransaction) -> str | None:
    """Solana's `memo` in signature lists: each memo as `[length] text`, joined by `; `."""
    keys = tx.message.account_keys
    memos = []
    for ix in tx.message.instructions:
        if str(keys[ix.program_id_index]) in MEMO_PROGRAMS:
            text = bytes(ix.data).decode("utf-8", errors="replace")
            memos.append(f"[{len(ix.data)}] {text}")
    return "; ".join(memos) if memos else None


def preflight_failure(err, logs) -> RPCError:
    label = err if isinstance(err, str) else json.dumps(err)
    return RPCError(-32002, f"Transaction simulation failed: {label}",
                    {"err": err, "logs": logs, "accounts": None, "unitsConsumed": 0, "returnData": None})


# JSON-RPC --------------------------------------------------------------------------------------


def config_of(params, index: int) -> dict:
    """The config object at `index`, without its null entries (a null means the default)."""
    if len(params) > index and isinstance(params[index], dict):
        return {key: value for key, value in params[index].items() if value is not None}
    return {}


def pubkey_param(params, index: int = 0) -> str:
    if len(params) <= index or not isinstance(params[index], str):
        raise RPCError(-32602, "Invalid params: expected a base58 public key")
    try:
        return str(Pubkey.from_string(params[index]))
    except Exception:
        raise RPCError(-32602, f"Invalid param: Invalid pubkey {params[index]!r}")


def signature_param(text) -> str:
    if not isinstance(text, str) or len(text) > 100:
        raise RPCError(-32602, "Invalid param: signature must be a base58 string")
    try:
        return str(Signature.from_string(text))
    except Exception:
        raise RPCError(-32602, f"Invalid param: Invalid signature {text!r}")


def decode_wire(text, encoding: str) -> bytes:
    if not isinstance(text, str) or len(text) > 1644 * 2:
        raise RPCError(-32602, "Invalid params: transaction must be an encoded string of at most 1232 bytes")
    try:
        raw = base64.b64decode(text, validate=True) if encoding == "base64" else b58decode(text)
    except Exception:
        raise RPCError(-32602, f"invalid transaction: not {encoding}")
    if len(raw) > 1232:
        raise RPCError(-32602, f"invalid transaction: {len(raw)} bytes is over the 1232-byte limit")
    return raw


def transaction_json(record: Record, encoding: str) -> dict:
    tx = VersionedTransaction.from_bytes(record.wire)
    if encoding == "base64":
        body = [base64.b64encode(record.wire).decode(), "base64"]
    else:
        msg = tx.message
        header = msg.header
        body = {
            "signatures": [str(s) for s in tx.signatures],
            "message": {
                "accountKeys": [str(k) for k in msg.account_keys],
                "header": {
                    "numRequiredSignatures": header.num_required_signatures,
                    "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
                    "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
                },
                "recentBlockhash": str(msg.recent_blockhash),
                "instructions": [
                    {"programIdIndex": ix.program_id_index, "accounts": list(bytes(ix.accounts)), "data": b58encode(bytes(ix.data)), "stackHeight": None}
                    for ix in msg.instructions
                ],
            },
        }
    status = {"Ok": None} if record.err is None else {"Err": record.err}
    return {
        "slot": record.slot,
        "blockTime": record.block_time,
        "version": "legacy" if isinstance(tx.message, Message) else 0,
        "transaction": body,
        "meta": {
            "err": record.err, "status": status, "fee": record.fee, "preBalances": record.pre, "postBalances": record.post,
            "logMessages": record.logs, "innerInstructions": [], "preTokenBalances": [], "postTokenBalances": [], "rewards": [],
            "loadedAddresses": {"writable": [], "readonly": []}, "computeUnitsConsumed": 0,
        },
    }


class Handler:
    def __init__(self, l1: L1):
        self.l1 = l1

    def context(self) -> dict:
        return {"slot": self.l1.slot, "apiVersion": "2.2.0"}

    def call(self, method: str, params: list):
        l1 = self.l1
        if method == "getHealth":
            return "ok"
        if method == "getVersion":
            return {"solana-core": "2.2.0-litesvm", "feature-set": 0}
        if method == "getGenesisHash":
            return l1.genesis_hash
        if method in ("getSlot", "getBlockHeight"):
            return l1.slot
        if method == "getTransactionCount":
            return l1.transaction_count
        if method == "getEpochInfo":
            return {"epoch": 0, "slotIndex": l1.slot, "slotsInEpoch": 432000, "absoluteSlot": l1.slot, "blockHeight": l1.slot,
                    "transactionCount": l1.transaction_count}
        if method == "getLatestBlockhash":
            with l1.lock:
                blockhash, slot = l1.blockhashes[-1]
            return {"context": self.context(), "value": {"blockhash": blockhash, "lastValidBlockHeight": slot + l1.blockhash_slots}}
        if method == "isBlockhashValid":
            if not params or not isinstance(params[0], str):
                raise RPCError(-32602, "Invalid params: expected a blockhash")
            return {"context": self.context(), "value": l1.blockhash_slot(params[0]) is not None}
        if method == "getBalance":
            address = pubkey_param(params)
            with l1.lock:
                return {"context": self.context(), "value": l1.svm.get_balance(Pubkey.from_string(address)) or 0}
        if method == "getAccountInfo":
            address = pubkey_param(params)
            with l1.lock:
                account = l1.svm.get_account(Pubkey.from_string(address))
            if account is None or account.lamports == 0:
                return {"context": self.context(), "value": None}
            return {"context": self.context(), "value": {
                "lamports": account.lamports, "owner": str(account.owner), "executable": account.executable,
                "rentEpoch": 18446744073709551615, "space": len(account.data),
                "data": [base64.b64encode(bytes(account.data)).decode(), "base64"],
            }}
        if method == "getMinimumBalanceForRentExemption":
            size = params[0] if params and isinstance(params[0], int) and 0 <= params[0] <= 10 << 20 else None
            if size is None:
                raise RPCError(-32602, "Invalid params: expected a data length")
            return l1.svm.minimum_balance_for_rent_exemption(size)
        if method == "getFeeForMessage":
            if not params or not isinstance(params[0], str):
                raise RPCError(-32602, "Invalid params: expected a base64 message")
            raw = base64.b64decode(params[0])
            signatures = raw[0] & 0x7F if raw and raw[0] & 0x80 else (raw[0] if raw else 0)
            return {"context": self.context(), "value": signatures * LAMPORTS_PER_SIGNATURE}
        if method == "requestAirdrop":
            address = pubkey_param(params)
            if len(params) < 2 or not isinstance(params[1], int) or not 0 < params[1] <= 10**18:
                raise RPCError(-32602, "Invalid params: lamports must be a positive integer")
            return l1.airdrop(address, params[1])
        if method in ("sendTransaction", "simulateTransaction"):
            if not params:
                raise RPCError(-32602, "Invalid params: expected an encoded transaction")
            config = config_of(params, 1)
            wire = decode_wire(params[0], config.get("encoding", "base58"))
            if method == "simulateTransaction":
                return self.simulate(wire)
            return l1.send(wire, bool(config.get("skipPreflight", False)))
        if method == "getSignatureStatuses":
            if not params or not isinstance(params[0], list) or len(params[0]) > 256:
                raise RPCError(-32602, "Invalid params: expected a list of at most 256 signatures")
            values = []
            with l1.lock:
                for text in params[0]:
                    record = l1.records.get(signature_param(text))
                    if record is None:
                        values.append(None)
                        continue
                    name = l1.status_name(record)
                    values.append({
                        "slot": record.slot, "confirmations": None if name == "finalized" else l1.confirmations(record),
                        "err": record.err, "status": {"Ok": None} if record.err is None else {"Err": record.err},
                        "confirmationStatus": name,
                    })
            return {"context": self.context(), "value": values}
        if method == "getSignaturesForAddress":
            address = pubkey_param(params)
            config = config_of(params, 1)
            limit = config.get("limit", 1000)
            if not isinstance(limit, int) or not 1 <= limit <= 1000:
                raise RPCError(-32602, "Invalid params: limit must be between 1 and 1000")
            before = signature_param(config["before"]) if config.get("before") else None
            until = signature_param(config["until"]) if config.get("until") else None
            commitment = config.get("commitment", "finalized")
            out = []
            with l1.lock:
                history = l1.by_address.get(address, [])
                started = before is None
                for record in reversed(history):
                    if not started:
                        started = record.signature == before
                        continue
                    if record.signature == until:
                        break
                    if not l1.meets(record, commitment):
                        continue
                    out.append({
                        "signature": record.signature, "slot": record.slot, "err": record.err, "memo": record.memo,
                        "blockTime": record.block_time, "confirmationStatus": l1.status_name(record),
                    })
                    if len(out) == limit:
                        break
            return out
        if method == "getTransaction":
            signature = signature_param(params[0] if params else None)
            config = config_of(params, 1)
            encoding = config.get("encoding", "json")
            if encoding not in ("json", "base64"):
                raise RPCError(-32602, f"Invalid params: encoding {encoding!r} is not served here (json, base64)")
            with l1.lock:
                record = l1.records.get(signature)
                if record is None or record.wire is None or not l1.meets(record, config.get("commitment", "finalized")):
                    return None
                return transaction_json(record, encoding)
        raise RPCError(-32601, "Method not found")

    def simulate(self, wire: bytes) -> dict:
        tx = VersionedTransaction.from_bytes(wire)
        with self.l1.lock:
            result = self.l1.svm.simulate_transaction(tx)
        outcome = json.loads(result.to_json())
        meta = outcome.get("meta", outcome)
        return {"context": self.context(), "value": {"err": outcome.get("err"), "logs": meta.get("logs", []), "accounts": None, "unitsConsumed": meta.get("compute_units_consumed", 0), "returnData": None}}

    def handle(self, request):
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
            return {"jsonrpc": "2.0", "id": request.get("id") if isinstance(request, dict) else None, "error": {"code": -32600, "message": "Invalid request"}}
        params = request.get("params", [])
        if not isinstance(params, list):
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32602, "message": "Invalid params: expected an array"}}
        try:
            return {"jsonrpc": "2.0", "id": request.get("id"), "result": self.call(request["method"], params)}
        except RPCError as error:
            body = {"code": error.code, "message": error.message}
            if error.data is not None:
                body["data"] = error.data
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": body}
        except Exception as error:  # a bug here must not take the L1 down
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": {"code": -32603, "message": f"Internal error: {error}"}}


def make_http_handler(handler: Handler, down: threading.Event):
    class HTTP(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            if down.is_set():
                # Offline: connections kept alive from before are dropped unanswered too.
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self.send_response(413)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            try:
                payload = json.loads(self.rfile.read(length))
            except (ValueError, UnicodeDecodeError):
                answer = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
            else:
                answer = [handler.handle(r) for r in payload] if isinstance(payload, list) else handler.handle(payload)
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return HTTP


class Server:
    """The HTTP side, which can go offline and come back on the same port."""

    def __init__(self, l1: L1, port: int):
        self.down = threading.Event()
        self.handler_class = make_http_handler(Handler(l1), self.down)
        self.port = port
        self.httpd: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()

    def online(self) -> None:
        with self.lock:
            if self.httpd is not None:
                return
            self.down.clear()
            ThreadingHTTPServer.allow_reuse_address = True
            self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler_class)
            self.httpd.daemon_threads = True
            self.port = self.httpd.server_address[1]
            threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def offline(self) -> None:
        with self.lock:
            if self.httpd is None:
                return
            self.down.set()
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--slot-ms", type=int, default=100)
    parser.add_argument("--finality-slots", type=int, default=32)
    # Solana's 150 blocks last about a minute; at a test's fast slots a client held up for a
    # few seconds on a loaded machine outlives them, so a test may lengthen the window.
    parser.add_argument("--blockhash-slots", type=int, default=BLOCKHASH_SLOTS)
    args = parser.parse_args()
    if args.slot_ms < 1 or args.finality_slots < 1 or args.blockhash_slots < 1:
        parser.error("--slot-ms and --finality-slots must be positive")

    # A parent may start us with signals blocked (Swift's Foundation.Process inherits the mask of
    # a dispatch thread, which blocks nearly all of them): take back the ones this server obeys.
    controls = {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2}
    signal.pthread_sigmask(signal.SIG_UNBLOCK, controls)
    l1 = L1(args.slot_ms, args.finality_slots, args.blockhash_slots)
    server = Server(l1, args.port)
    server.online()
    stop = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: threading.Thread(target=server.offline).start())
    signal.signal(signal.SIGUSR2, lambda *_: threading.Thread(target=server.online).start())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"l1 listening on http://127.0.0.1:{server.port}", flush=True)
    next_tick = time.monotonic()
    while not stop.is_set():
        next_tick += args.slot_ms / 1000
        # A clock held up (a starved process on a loaded machine) resumes at one slot per
        # tick rather than catching up in a burst: a burst of 150 slots would expire, at once,
        # a blockhash a client fetched just before the stall, which a stalled Solana leader
        # (producing no blocks, so no block height) never does.
        next_tick = max(next_tick, time.monotonic())
        stop.wait(max(0.0, next_tick - time.monotonic()))
        l1.advance()
    server.offline()


if __name__ == "__main__":
    main()
