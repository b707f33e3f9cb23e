"""A small Python SDK for Verity's compute market, built only on `solders`.

It builds ModelRegistry, Provider and JobMarket instructions (a u8 tag, then Borsh fields, as
docs/architecture.md documents), derives the market's program addresses, and reads the
node's `verity*` JSON-RPC methods. Transactions go through the unmodified `solana` client:
this is what a Solana developer would write to use Verity from their own tools.
"""

from __future__ import annotations

import hashlib
import json
import struct
import urllib.request

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

MODEL_REGISTRY = Pubkey.from_string("VerityMode1Registry111111111111111111111111")
PROVIDER_PROGRAM = Pubkey.from_string("VerityProvider11111111111111111111111111111")
JOB_MARKET = Pubkey.from_string("VerityJobMarket1111111111111111111111111111")

TIERS = {"sampled": 0, "full": 1}


def pda(seeds: list[bytes], program: Pubkey) -> Pubkey:
    return Pubkey.find_program_address(seeds, program)[0]


def book_address() -> Pubkey:
    return pda([b"market"], JOB_MARKET)


def directory_address() -> Pubkey:
    return pda([b"providers"], PROVIDER_PROGRAM)


def model_address(model_id: bytes) -> Pubkey:
    return pda([b"model", model_id], MODEL_REGISTRY)


def provider_address(authority: Pubkey) -> Pubkey:
    return pda([b"provider", bytes(authority)], PROVIDER_PROGRAM)


def job_address(submitter: Pubkey, nonce: int) -> Pubkey:
    return pda([b"job", bytes(submitter), struct.pack("<Q", nonce)], JOB_MARKET)


def borsh_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<I", len(raw)) + raw


def submit_job(submitter: Pubkey, nonce: int, model_id: bytes, input_hash: bytes, input_bytes: int, max_fee: int,
               tier: str, deadline_ms: int) -> Instruction:
    data = bytes([0]) + struct.pack("<Q", nonce) + model_id + input_hash + struct.pack("<IQ", input_bytes, max_fee) \
        + bytes([TIERS[tier]]) + struct.pack("<q", deadline_ms)
    return Instruction(JOB_MARKET, data, [
        AccountMeta(submitter, is_signer=True, is_writable=True),
        AccountMeta(job_address(submitter, nonce), is_signer=False, is_writable=True),
        AccountMeta(book_address(), is_signer=False, is_writable=True),
        AccountMeta(model_address(model_id), is_signer=False, is_writable=False),
    ])


def submit_result(authority: Pubkey, job: Pubkey, output: bytes, trace_root: bytes, tokens: int,
                  alt_trace_root: bytes | None = None, plant_commitment: bytes = b"\x07" * 32) -> Instruction:
    """A result: output hash, the two trace roots (honest and planted, in the salt's order),
    the token count, and SHA-256 of the provider's salt."""
    data = bytes([1]) + output + trace_root + (alt_trace_root or trace_root) + struct.pack("<I", tokens) + plant_commitment
    return Instruction(JOB_MARKET, data, [
        AccountMeta(authority, is_signer=True, is_writable=False),
        AccountMeta(provider_address(authority), is_signer=False, is_writable=False),
        AccountMeta(job, is_signer=False, is_writable=True),
    ])


ROLES = {"inference": 1, "audit": 2}


def register_provider(authority: Pubkey, stake: int, capacity: int, hardware: str, tokens_per_second: int,
                      price_per_1k: int, models: list[bytes], roles: tuple[str, ...] = ("inference",)) -> Instruction:
    data = bytes([0]) + struct.pack("<QH", stake, capacity) + borsh_string(hardware) \
        + struct.pack("<IQ", tokens_per_second, price_per_1k) + struct.pack("<I", len(models)) + b"".join(models) \
        + bytes([sum(ROLES[r] for r in roles)])
    return Instruction(PROVIDER_PROGRAM, data, [
        AccountMeta(authority, is_signer=True, is_writable=True),
        AccountMeta(provider_address(authority), is_signer=False, is_writable=True),
        AccountMeta(directory_address(), is_signer=False, is_writable=True),
    ] + [AccountMeta(model_address(m), is_signer=False, is_writable=False) for m in models])


def challenge(challenger: Pubkey, job: Pubkey, step: int | None) -> Instruction:
    """JobMarket.Challenge (tag 5, Borsh Option<u32>): a bonded dispute of one step of a job's
    published trace, or with no step a demand for an audit."""
    data = bytes([5]) + (b"\x00" if step is None else b"\x01" + struct.pack("<I", step))
    return Instruction(JOB_MARKET, data, [
        AccountMeta(challenger, is_signer=True, is_writable=True),
        AccountMeta(job, is_signer=False, is_writable=True),
    ])


def heartbeat(authority: Pubkey) -> Instruction:
    return Instruction(PROVIDER_PROGRAM, bytes([2]), [
        AccountMeta(authority, is_signer=True, is_writable=False),
        AccountMeta(provider_address(authority), is_signer=False, is_writable=True),
    ])


def rpc(url: str, method: str, params: list | None = None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def put_blob(url: str, data: bytes) -> bytes:
    digest = hashlib.sha256(data).digest()
    request = urllib.request.Request(f"{url}/blobs/{digest.hex()}", data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=10):
        pass
    return digest


def get_blob(url: str, digest_hex: str) -> bytes:
    with urllib.request.urlopen(f"{url}/blobs/{digest_hex}", timeout=10) as response:
        return response.read()


def deregister(authority: Pubkey) -> Instruction:
    return Instruction(PROVIDER_PROGRAM, bytes([3]), [
        AccountMeta(authority, is_signer=True, is_writable=False),
        AccountMeta(provider_address(authority), is_signer=False, is_writable=True),
    ])
