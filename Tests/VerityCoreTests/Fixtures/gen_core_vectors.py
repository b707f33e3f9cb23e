#!/usr/bin/env python3
"""Generate reference test vectors for VerityCore from solders.

Writes Tests/VerityCoreTests/Fixtures/solders_vectors.json: base58, compact-u16
(short_vec), Ed25519 keypairs and signatures, System program instructions,
legacy and v0 messages/transactions (with address lookup tables), program
derived addresses, create_with_seed addresses and on-curve checks.

Every expected value comes from solders 0.29.0 (the Rust solana-sdk behind it),
except for two encodings that solders exposes only for fixed sizes: base58 of
arbitrary-length byte strings and compact-u16 encoding. For those this script
carries a small encoder of its own and checks it against solders wherever
solders can produce the same bytes (base58 of 32/64-byte values and every
byte string up to 64 bytes; short_vec length prefixes inside real serialized
messages) before writing anything.

Deterministic: all randomness comes from random.Random with fixed seeds and
Ed25519 signatures are deterministic, so two runs produce identical files.

Run from the repository root:
    .venv/bin/python Tests/VerityCoreTests/Fixtures/gen_core_vectors.py [OUTPUT.json]
(without OUTPUT it rewrites solders_vectors.json beside this script; scripts/test
regenerates into a temporary file and checks it equals the committed one)
(scripts/python-env creates .venv with the pinned solders version.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import sys
from importlib.metadata import version
from pathlib import Path

import solders.system_program as sp
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import Transaction, VersionedTransaction

EXPECTED_SOLDERS = "0.29.0"
GENERATOR = "Tests/VerityCoreTests/Fixtures/gen_core_vectors.py"
ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).resolve().parent / "solders_vectors.json"

SYSTEM_PROGRAM = sp.ID
U64_MAX = 2**64 - 1
MAX_SPACE = 10 * 1024 * 1024


# --------------------------------------------------------------------------
# Small helpers of our own, cross-checked against solders below.

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58: one '1' per leading zero byte, then the rest
    of the bytes read as a big-endian number, written in base 58."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    digits = []
    while n:
        n, rem = divmod(n, 58)
        digits.append(B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(digits))


def b58_via_solders(data: bytes) -> str:
    """base58 of up to 64 bytes using only solders' own encoders.

    Base58 of a byte string is '1' per leading zero byte plus the digits of
    the number the bytes spell, so left-padding with zero bytes to the width
    of a Pubkey (32) or Signature (64) only adds leading '1's, which we strip.
    """
    if len(data) <= 32:
        padded = str(Pubkey(b"\0" * (32 - len(data)) + data))
        pad = 32 - len(data)
    elif len(data) <= 64:
        padded = str(Signature(b"\0" * (64 - len(data)) + data))
        pad = 64 - len(data)
    else:
        raise ValueError("solders has no base58 encoder for more than 64 bytes")
    assert padded.startswith("1" * pad)
    return padded[pad:]


def compact_u16(value: int) -> bytes:
    """short_vec encoding: 7 bits per byte, least significant group first,
    0x80 set on every byte but the last; at most 3 bytes for a u16."""
    if not 0 <= value <= 0xFFFF:
        raise ValueError(value)
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def compact_u16_via_solders(value: int) -> bytes:
    """Read the data-length prefix out of a real serialized legacy message.

    Message layout with one payer, one program and one instruction with no
    accounts: header(3) | len(keys)=2 (1) | 2 keys (64) | blockhash (32)
    | len(instructions)=1 (1) | program index (1) | len(accounts)=0 (1)
    | len(data) (short_vec) | data.
    """
    payer = Pubkey(bytes([1]) * 32)
    program = Pubkey(bytes([2]) * 32)
    ix = Instruction(program, bytes(value), [])
    raw = bytes(Message.new_with_blockhash([ix], payer, Hash.default()))
    prefix_at = 3 + 1 + 64 + 32 + 1 + 1 + 1
    encoded = raw[prefix_at:len(raw) - value]
    return encoded


def hexs(b: bytes) -> str:
    return bytes(b).hex()


def meta_json(m: AccountMeta) -> dict:
    return {"pubkey": str(m.pubkey), "is_signer": m.is_signer, "is_writable": m.is_writable}


def ix_json(ix: Instruction) -> dict:
    return {
        "program_id": str(ix.program_id),
        "accounts": [meta_json(m) for m in ix.accounts],
        "data_hex": hexs(ix.data),
    }


class Rng:
    """random.Random with the few draws this script needs."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def bytes(self, n: int) -> bytes:
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def int(self, lo: int, hi: int) -> int:
        return self.r.randint(lo, hi)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def choice(self, seq):
        return self.r.choice(seq)

    def sample(self, seq, k):
        return self.r.sample(seq, k)

    def shuffle(self, seq):
        self.r.shuffle(seq)

    def keypair(self) -> Keypair:
        return Keypair.from_seed(self.bytes(32))

    def pubkey(self) -> Pubkey:
        # Random 32 bytes: about half are not curve points, which is fine for
        # accounts that never sign (PDAs, lookup-table keys, program ids).
        return Pubkey(self.bytes(32))

    def hash(self) -> Hash:
        return Hash(self.bytes(32))

    def ascii_seed(self, lo: int = 0, hi: int = 32) -> str:
        alphabet = string.ascii_letters + string.digits + string.punctuation + " "
        return "".join(self.choice(alphabet) for _ in range(self.int(lo, hi)))

    def lamports(self) -> int:
        return self.choice([
            self.int(0, 10),
            self.int(0, 2**32),
            self.int(0, 10**12),
            self.int(2**32, U64_MAX),
            U64_MAX - self.int(0, 3),
        ])

    def space(self) -> int:
        return self.choice([0, 1, 165, self.int(0, 1024), self.int(0, MAX_SPACE), MAX_SPACE])


# --------------------------------------------------------------------------
# Sections


def gen_base58(rng: Rng) -> list:
    cases = [b"", b"\0", b"\0\0", b"\0" * 5, b"\0" * 32, b"\0" * 64, b"\xff" * 32,
             b"\x01", b"\x39", b"\x3a", b"\xff" * 80]
    for zeros in (1, 2, 5):
        for _ in range(2):
            cases.append(b"\0" * zeros + rng.bytes(rng.int(1, 40)))
    for _ in range(20):
        cases.append(rng.bytes(rng.int(1, 80)))
    for _ in range(6):
        cases.append(bytes(rng.keypair().pubkey()))
    for _ in range(4):
        cases.append(rng.bytes(32))
    for _ in range(3):
        cases.append(rng.bytes(64))

    out = []
    for data in cases:
        enc = b58encode(data)
        if len(data) <= 64:
            assert enc == b58_via_solders(data), data.hex()
        if len(data) == 32:
            assert enc == str(Pubkey(data)) == str(Hash(data))
            assert bytes(Pubkey.from_string(enc)) == data
        if len(data) == 64:
            assert enc == str(Signature(data))
            assert bytes(Signature.from_string(enc)) == data
        out.append({"hex": hexs(data), "base58": enc})
    return out


def gen_compact_u16(rng: Rng) -> list:
    values = [0, 1, 2, 127, 128, 129, 200, 255, 256, 1000, 16383, 16384, 16385, 32767, 32768, 65534, 65535]
    values += [rng.int(0, 127) for _ in range(4)] + [rng.int(128, 16383) for _ in range(8)]
    values += [rng.int(16384, 65535) for _ in range(8)]
    out = []
    for v in values:
        enc = compact_u16(v)
        assert enc == compact_u16_via_solders(v), (v, enc.hex())
        out.append({"value": v, "hex": hexs(enc)})
    return out


def gen_keypairs(rng: Rng) -> list:
    out = []
    for i in range(24):
        seed = b"\0" * 32 if i == 0 else (b"\xff" * 32 if i == 1 else rng.bytes(32))
        kp = Keypair.from_seed(seed)
        secret = bytes(kp)
        assert secret[:32] == seed and secret[32:] == bytes(kp.pubkey())
        msg_len = [0, 1, 32, 64][i - 2] if 2 <= i < 6 else rng.int(0, 300)
        msg = rng.bytes(msg_len)
        sig = kp.sign_message(msg)
        assert sig.verify(kp.pubkey(), msg)
        out.append({
            "secret": list(secret),
            "pubkey": str(kp.pubkey()),
            "message_hex": hexs(msg),
            "signature": str(sig),
        })
    return out


def system_instruction_cases(rng: Rng) -> list:
    """(name, params-for-json, Instruction) triples."""
    cases = []
    fixed_lamports = [0, 1, U64_MAX]

    for i in range(7):
        frm, to = rng.pubkey(), rng.pubkey()
        if i == 6:
            to = frm  # self-transfer: one key, two account metas
        lamports = fixed_lamports[i] if i < 3 else rng.lamports()
        ix = sp.transfer(sp.TransferParams(from_pubkey=frm, to_pubkey=to, lamports=lamports))
        cases.append(("transfer", {"from_pubkey": str(frm), "to_pubkey": str(to), "lamports": lamports}, ix))

    for i in range(7):
        frm, to, owner = rng.pubkey(), rng.pubkey(), rng.pubkey()
        if i == 0:
            owner = SYSTEM_PROGRAM
        lamports = fixed_lamports[i] if i < 3 else rng.lamports()
        space = [0, 1, MAX_SPACE][i] if i < 3 else rng.space()
        ix = sp.create_account(sp.CreateAccountParams(
            from_pubkey=frm, to_pubkey=to, lamports=lamports, space=space, owner=owner))
        cases.append(("create_account", {"from_pubkey": str(frm), "to_pubkey": str(to),
                                         "lamports": lamports, "space": space, "owner": str(owner)}, ix))

    for i in range(6):
        pk, owner = rng.pubkey(), (SYSTEM_PROGRAM if i == 0 else rng.pubkey())
        ix = sp.assign(sp.AssignParams(pubkey=pk, owner=owner))
        cases.append(("assign", {"pubkey": str(pk), "owner": str(owner)}, ix))

    for i in range(6):
        pk = rng.pubkey()
        space = [0, 1, MAX_SPACE][i] if i < 3 else rng.space()
        ix = sp.allocate(sp.AllocateParams(pubkey=pk, space=space))
        cases.append(("allocate", {"pubkey": str(pk), "space": space}, ix))

    for i in range(6):
        base, owner, to = rng.pubkey(), rng.pubkey(), rng.pubkey()
        seed = ["", "a" * 32][i] if i < 2 else rng.ascii_seed()
        frm = Pubkey.create_with_seed(base, seed, owner)
        lamports = fixed_lamports[i] if i < 3 else rng.lamports()
        ix = sp.transfer_with_seed(sp.TransferWithSeedParams(
            from_pubkey=frm, from_base=base, from_seed=seed, from_owner=owner, to_pubkey=to, lamports=lamports))
        cases.append(("transfer_with_seed", {"from_pubkey": str(frm), "from_base": str(base), "from_seed": seed,
                                             "from_owner": str(owner), "to_pubkey": str(to),
                                             "lamports": lamports}, ix))

    for i in range(7):
        frm, base, owner = rng.pubkey(), rng.pubkey(), rng.pubkey()
        if i in (0, 4):
            base = frm  # base == funder: base is then not listed a second time
        seed = ["", "a" * 32][i] if i < 2 else rng.ascii_seed()
        to = Pubkey.create_with_seed(base, seed, owner)
        lamports = fixed_lamports[i] if i < 3 else rng.lamports()
        space = [0, 1, MAX_SPACE][i] if i < 3 else rng.space()
        ix = sp.create_account_with_seed(sp.CreateAccountWithSeedParams(
            from_pubkey=frm, to_pubkey=to, base=base, seed=seed, lamports=lamports, space=space, owner=owner))
        cases.append(("create_account_with_seed", {"from_pubkey": str(frm), "to_pubkey": str(to),
                                                   "base": str(base), "seed": seed, "lamports": lamports,
                                                   "space": space, "owner": str(owner)}, ix))

    for i in range(5):
        base, owner = rng.pubkey(), rng.pubkey()
        seed = "" if i == 0 else rng.ascii_seed()
        addr = Pubkey.create_with_seed(base, seed, owner)
        space = [0, MAX_SPACE][i] if i < 2 else rng.space()
        ix = sp.allocate_with_seed(sp.AllocateWithSeedParams(
            address=addr, base=base, seed=seed, space=space, owner=owner))
        cases.append(("allocate_with_seed", {"address": str(addr), "base": str(base), "seed": seed,
                                             "space": space, "owner": str(owner)}, ix))

    for i in range(5):
        base, owner = rng.pubkey(), rng.pubkey()
        seed = "" if i == 0 else rng.ascii_seed()
        addr = Pubkey.create_with_seed(base, seed, owner)
        ix = sp.assign_with_seed(sp.AssignWithSeedParams(address=addr, base=base, seed=seed, owner=owner))
        cases.append(("assign_with_seed", {"address": str(addr), "base": str(base), "seed": seed,
                                           "owner": str(owner)}, ix))
    return cases


DECODERS = {
    "transfer": sp.decode_transfer,
    "create_account": sp.decode_create_account,
    "assign": sp.decode_assign,
    "allocate": sp.decode_allocate,
    "transfer_with_seed": sp.decode_transfer_with_seed,
    "create_account_with_seed": sp.decode_create_account_with_seed,
    "allocate_with_seed": sp.decode_allocate_with_seed,
    "assign_with_seed": sp.decode_assign_with_seed,
}


def gen_system_instructions(rng: Rng) -> list:
    out = []
    for name, params, ix in system_instruction_cases(rng):
        assert ix.program_id == SYSTEM_PROGRAM
        decoded = DECODERS[name](ix)  # solders must read back what it built
        for k, v in decoded.items():
            assert (str(v) if isinstance(v, Pubkey) else v) == params[k], (name, k)
        out.append({
            "name": name,
            "params": params,
            "program_id": str(ix.program_id),
            "accounts": [meta_json(m) for m in ix.accounts],
            "data_hex": hexs(ix.data),
        })
    return out


# --- messages ---------------------------------------------------------------


class KeyPool:
    """Keys for message cases: keypairs (may sign) and plain pubkeys (never sign)."""

    def __init__(self, rng: Rng):
        self.rng = rng
        self.keypairs = [rng.keypair() for _ in range(16)]
        self.by_pubkey = {kp.pubkey(): kp for kp in self.keypairs}
        self.plain = [rng.pubkey() for _ in range(24)]
        self.programs = [SYSTEM_PROGRAM] + [rng.pubkey() for _ in range(5)]

    def signer(self) -> Pubkey:
        return self.rng.choice(self.keypairs).pubkey()

    def any_key(self) -> Pubkey:
        return self.rng.choice(self.keypairs).pubkey() if self.rng.chance(0.35) else self.rng.choice(self.plain)

    def meta(self) -> AccountMeta:
        if self.rng.chance(0.3):
            return AccountMeta(self.signer(), True, self.rng.chance(0.5))
        return AccountMeta(self.any_key(), False, self.rng.chance(0.5))

    def instruction(self, max_accounts: int = 6) -> Instruction:
        rng = self.rng
        if rng.chance(0.2):
            to = self.any_key()
            return sp.transfer(sp.TransferParams(from_pubkey=self.signer(), to_pubkey=to, lamports=rng.lamports()))
        program = rng.choice(self.programs[1:])
        metas = [self.meta() for _ in range(rng.int(0, max_accounts))]
        data_len = rng.choice([0, rng.int(0, 16), rng.int(0, 200)])
        return Instruction(program, rng.bytes(data_len), metas)


def required_signers(pool: KeyPool, keys, header) -> list:
    return [pool.by_pubkey[k] for k in list(keys)[:header.num_required_signatures]]


def legacy_case(pool: KeyPool, variant: int) -> dict:
    rng = pool.rng
    payer_kp = rng.choice(pool.keypairs)
    payer = payer_kp.pubkey()
    ixs = [pool.instruction() for _ in range(rng.int(1, 4))]

    if variant == 1:
        # Same key: signer (readonly) in one instruction, writable non-signer in another.
        k = pool.signer()
        ixs[0] = Instruction(ixs[0].program_id, ixs[0].data, list(ixs[0].accounts) + [AccountMeta(k, True, False)])
        ixs.append(Instruction(rng.choice(pool.programs[1:]), rng.bytes(3), [AccountMeta(k, False, True)]))
    elif variant == 2:
        # A program id that is also passed as an account (writable here) to another instruction.
        prog = ixs[0].program_id
        ixs.append(Instruction(rng.choice(pool.programs), rng.bytes(rng.int(0, 8)),
                               [AccountMeta(prog, False, rng.chance(0.5)), pool.meta()]))
    elif variant == 3:
        # Payer listed inside instructions as a readonly non-signer.
        ixs.append(Instruction(rng.choice(pool.programs[1:]), rng.bytes(rng.int(0, 40)),
                               [AccountMeta(payer, False, False), pool.meta()]))
    elif variant == 4:
        # Duplicate metas of one key inside one instruction with differing flags.
        k = pool.signer()
        ixs[0] = Instruction(pool.programs[1], rng.bytes(rng.int(0, 200)),
                             [AccountMeta(k, False, False), AccountMeta(k, True, False), AccountMeta(k, False, True)])
    elif variant == 5:
        # Instruction with no accounts and empty data only.
        ixs = [Instruction(rng.choice(pool.programs[1:]), b"", [])]
    elif variant == 6:
        # System transfer paid by the payer itself, plus other instructions.
        ixs.insert(0, sp.transfer(sp.TransferParams(from_pubkey=payer, to_pubkey=pool.any_key(),
                                                    lamports=rng.lamports())))
    elif variant == 7:
        # Long data and many accounts.
        ixs = [Instruction(rng.choice(pool.programs[1:]), rng.bytes(200), [pool.meta() for _ in range(14)])]
        if rng.chance(0.5):
            ixs.append(pool.instruction(max_accounts=10))

    blockhash = rng.hash()
    msg = Message.new_with_blockhash(ixs, payer, blockhash)
    signers = required_signers(pool, msg.account_keys, msg.header)
    assert signers[0].pubkey() == payer
    tx = Transaction(signers, msg, blockhash)
    tx.verify()  # raises if any signature is bad
    raw = bytes(tx)
    assert Transaction.from_bytes(raw) == tx
    return {
        "payer": str(payer),
        "blockhash": str(blockhash),
        "instructions": [ix_json(ix) for ix in ixs],
        "message_hex": hexs(bytes(msg)),
        "signer_secrets": [list(bytes(kp)) for kp in signers],
        "transaction_base64": base64.b64encode(raw).decode(),
        "signatures": [str(s) for s in tx.signatures],
    }


def gen_legacy_messages(rng: Rng) -> list:
    pool = KeyPool(rng)
    return [legacy_case(pool, i % 8) for i in range(34)]


def v0_case(pool: KeyPool, variant: int) -> dict:
    rng = pool.rng
    payer_kp = rng.choice(pool.keypairs)
    payer = payer_kp.pubkey()
    ixs = [pool.instruction() for _ in range(rng.int(1, 4))]

    def ix_accounts(signers: bool | None = None, writable: bool | None = None) -> list:
        keys = []
        for ix in ixs:
            for m in ix.accounts:
                if (signers is None or m.is_signer == signers) and (writable is None or m.is_writable == writable):
                    keys.append(m.pubkey)
        return keys

    # Make sure there are some writable and readonly non-signer accounts to look up.
    extra = Instruction(rng.choice(pool.programs[1:]), rng.bytes(rng.int(0, 30)),
                        [AccountMeta(rng.choice(pool.plain), False, True),
                         AccountMeta(rng.choice(pool.plain), False, False),
                         AccountMeta(rng.choice(pool.plain), False, rng.chance(0.5))])
    if variant != 0:
        ixs.append(extra)

    def table(keys, fillers: int) -> AddressLookupTableAccount:
        addrs = list(keys) + [rng.pubkey() for _ in range(fillers)]
        rng.shuffle(addrs)
        return AddressLookupTableAccount(rng.pubkey(), addrs)

    nonsigners = ix_accounts(signers=False)
    tables: list = []
    if variant == 0:
        tables = []  # no tables at all
    elif variant == 1:
        tables = [table(rng.sample(nonsigners, rng.int(1, len(nonsigners))), rng.int(0, 6))]
    elif variant == 2:
        # Table holding signers (payer included) and program ids: none may be looked up.
        progs = [ix.program_id for ix in ixs]
        signer_keys = ix_accounts(signers=True) + [payer]
        tables = [table(progs + signer_keys + nonsigners[:2], rng.int(0, 3))]
    elif variant == 3:
        # The same addresses in two tables (and twice inside the first one).
        shared = rng.sample(nonsigners, min(len(nonsigners), rng.int(1, 3)))
        t1 = table(shared, rng.int(0, 4))
        t1 = AddressLookupTableAccount(t1.key, list(t1.addresses) + shared[:1])
        tables = [t1, table(shared + nonsigners, rng.int(0, 4))]
    elif variant == 4:
        # A table with nothing useful in it, then a useful one.
        tables = [table([], rng.int(0, 5)), table(nonsigners, rng.int(0, 3))]
    elif variant == 5:
        # Three tables splitting the accounts between them; one may be empty.
        rng.shuffle(nonsigners)
        a, b = sorted((rng.int(0, len(nonsigners)), rng.int(0, len(nonsigners))))
        tables = [table(nonsigners[:a], rng.int(0, 3)), table(nonsigners[a:b], rng.int(0, 3)),
                  table(nonsigners[b:], rng.int(0, 3))]
    elif variant == 6:
        # Program id used as a plain account too (still invoked: must stay static).
        prog = ixs[0].program_id
        ixs.append(Instruction(rng.choice(pool.programs[1:]), rng.bytes(4),
                               [AccountMeta(prog, False, rng.chance(0.5)), AccountMeta(payer, False, False)]))
        tables = [table([prog] + nonsigners, rng.int(0, 3))]
    elif variant == 7:
        # A full 256-entry table: indexes above 127 must be plain u8s.
        wanted = list(dict.fromkeys(nonsigners))
        fill = [rng.pubkey() for _ in range(256 - len(wanted))]
        addrs = fill[:200] + wanted + fill[200:]
        tables = [AddressLookupTableAccount(rng.pubkey(), addrs)]
    elif variant == 8:
        # An empty table (no addresses) and a table with no matching key.
        tables = [AddressLookupTableAccount(rng.pubkey(), []), table([], rng.int(1, 4))]
    elif variant == 9:
        # Payer only writes in a transfer; lookups for everything else.
        ixs.insert(0, sp.transfer(sp.TransferParams(from_pubkey=payer, to_pubkey=rng.choice(pool.plain),
                                                    lamports=rng.lamports())))
        tables = [table(ix_accounts(signers=False), rng.int(0, 2))]

    blockhash = rng.hash()
    msg = MessageV0.try_compile(payer, ixs, tables, blockhash)
    signers = required_signers(pool, msg.account_keys, msg.header)
    assert signers[0].pubkey() == payer
    tx = VersionedTransaction(msg, signers)
    assert all(tx.verify_with_results())
    raw = bytes(tx)
    assert VersionedTransaction.from_bytes(raw) == tx
    return {
        "payer": str(payer),
        "blockhash": str(blockhash),
        "instructions": [ix_json(ix) for ix in ixs],
        "lookup_tables": [{"key": str(t.key), "addresses": [str(a) for a in t.addresses]} for t in tables],
        # The bytes that get signed: 0x80 version prefix + the v0 message.
        "message_hex": hexs(to_bytes_versioned(msg)),
        "signer_secrets": [list(bytes(kp)) for kp in signers],
        "transaction_base64": base64.b64encode(raw).decode(),
        "signatures": [str(s) for s in tx.signatures],
    }


def gen_v0_messages(rng: Rng) -> list:
    pool = KeyPool(rng)
    return [v0_case(pool, i % 10) for i in range(34)]


# --- addresses ----------------------------------------------------------------


def random_seeds(rng: Rng, max_seeds: int = 4) -> list:
    return [rng.bytes(rng.choice([0, 1, 32, rng.int(0, 32)])) for _ in range(rng.int(0, max_seeds))]


def gen_pdas(rng: Rng) -> list:
    out = []
    programs = [SYSTEM_PROGRAM, rng.pubkey(), rng.keypair().pubkey()]
    for i in range(44):
        program = programs[i % 3] if i < 9 else rng.pubkey()
        seeds = [] if i < 3 else random_seeds(rng)
        addr, bump = Pubkey.find_program_address(seeds, program)
        assert not addr.is_on_curve()
        out.append({"seeds_hex": [hexs(s) for s in seeds], "program_id": str(program),
                    "address": str(addr), "bump": bump})
    return out


def gen_create_program_address(rng: Rng) -> list:
    out = []
    failures = 0
    i = 0
    while len(out) < 48 or failures < 12:
        program = rng.pubkey()
        seeds = random_seeds(rng)
        if i % 3 == 0:
            # seeds + the canonical bump: always valid, equal to find_program_address
            addr, bump = Pubkey.find_program_address(seeds, program)
            seeds = seeds + [bytes([bump])]
        try:
            got = str(Pubkey.create_program_address(seeds, program))
        except Exception:  # solders raises on a hash that lands on the curve
            got = None
            failures += 1
        if i % 3 == 0:
            assert got == str(addr)
        out.append({"seeds_hex": [hexs(s) for s in seeds], "program_id": str(program), "address": got})
        i += 1
    return out


def gen_create_with_seed(rng: Rng) -> list:
    out = []
    for i in range(34):
        base = rng.keypair().pubkey() if rng.chance(0.5) else rng.pubkey()
        owner = SYSTEM_PROGRAM if i == 0 else rng.pubkey()
        seed = ["", "a", "x" * 32][i] if i < 3 else rng.ascii_seed()
        addr = Pubkey.create_with_seed(base, seed, owner)
        out.append({"base": str(base), "seed": seed, "owner": str(owner), "address": str(addr)})
    return out


def gen_on_curve(rng: Rng) -> list:
    p = 2**255 - 19
    edge = [
        bytes(32),                                  # y = 0
        (1).to_bytes(32, "little"),                 # identity point (y = 1)
        (1 | 1 << 255).to_bytes(32, "little"),      # y = 1 with the sign bit set ("-0")
        b"\xff" * 32,
        (p - 1).to_bytes(32, "little"),             # y = -1
        p.to_bytes(32, "little"),                   # non-canonical y = p (== 0)
        (p + 1).to_bytes(32, "little"),             # non-canonical y = p + 1 (== 1)
        (2**255 - 1).to_bytes(32, "little"),
        bytes(SYSTEM_PROGRAM),
    ]
    cases = list(edge)
    for _ in range(40):
        cases.append(rng.bytes(32))
    for _ in range(12):
        cases.append(bytes(rng.keypair().pubkey()))
    for _ in range(12):
        cases.append(bytes(Pubkey.find_program_address(random_seeds(rng), rng.pubkey())[0]))
    out = []
    for b in cases:
        out.append({"bytes_hex": hexs(b), "on_curve": Pubkey(b).is_on_curve()})
    return out


# --------------------------------------------------------------------------
# Ed25519 acceptance. Solana checks transaction signatures with ed25519-dalek's
# verify_strict (solders' Signature.verify is that call): S below the group order L, R
# and A decodable, neither R nor A of small order, and the encoding of [S]B - [k]A equal
# to R byte for byte. The cases below probe each rule with points this script computes
# with its own arithmetic (affine Edwards formulas, slow and plain); every verdict
# written comes from solders.

ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493
ED_D = -121665 * pow(121666, ED_P - 2, ED_P) % ED_P
ED_SQRT_M1 = pow(2, (ED_P - 1) // 4, ED_P)
ED_IDENTITY = (0, 1)


def ed_decode(b: bytes):
    """The point an encoding names, read as curve25519-dalek reads it (y may be p or
    more; a sign bit set on x = 0 is ignored), or None when no x fits."""
    v = int.from_bytes(b, "little")
    sign = v >> 255
    y = (v & ((1 << 255) - 1)) % ED_P
    x2 = (y * y - 1) * pow(ED_D * y * y + 1, ED_P - 2, ED_P) % ED_P
    x = pow(x2, (ED_P + 3) // 8, ED_P)
    if (x * x - x2) % ED_P:
        x = x * ED_SQRT_M1 % ED_P
    if (x * x - x2) % ED_P:
        return None
    if x & 1 != sign:
        x = -x % ED_P
    return (x, y)


def ed_add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = ED_D * x1 * x2 * y1 * y2 % ED_P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, ED_P - 2, ED_P) % ED_P,
            (y1 * y2 + x1 * x2) * pow(1 - t, ED_P - 2, ED_P) % ED_P)


def ed_mul(k: int, point):
    acc = ED_IDENTITY
    while k:
        if k & 1:
            acc = ed_add(acc, point)
        point = ed_add(point, point)
        k >>= 1
    return acc


def ed_encode(point) -> bytes:
    x, y = point
    return (y | (x & 1) << 255).to_bytes(32, "little")


ED_B = ed_decode((4 * pow(5, ED_P - 2, ED_P) % ED_P).to_bytes(32, "little"))
assert ed_encode(ED_B).hex() == "58" + "66" * 31


def ed_torsion() -> list:
    """The eight points of order dividing 8: multiples of [L]P for a point P whose
    torsion part has order 8."""
    y = 2
    while True:
        point = ed_decode(y.to_bytes(32, "little"))
        if point is not None:
            t = ed_mul(ED_L, point)
            if ed_mul(4, t) != ED_IDENTITY:
                return [ed_mul(i, t) for i in range(8)]
        y += 1


ED_TORSION = ed_torsion()


def small_order_encodings() -> list:
    """Every 32-byte string that decodes to a point of small order: each torsion point's
    y and, where it fits below 2^255, y + p, with either sign bit."""
    out = []
    for _, y in sorted(ED_TORSION, key=lambda pt: (pt[1], pt[0])):
        for rep in (y, y + ED_P):
            if rep >= 2**255:
                continue
            for sign in (0, 1):
                b = (rep | sign << 255).to_bytes(32, "little")
                if ed_decode(b) in ED_TORSION and b not in out:
                    out.append(b)
    assert len(out) == 14, len(out)
    return out


def challenge(r: bytes, a: bytes, msg: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r + a + msg).digest(), "little") % ED_L


def point_order(point) -> int:
    return next(n for n in (1, 2, 4, 8) if ed_mul(n, point) == ED_IDENTITY)


def gen_signature_checks(rng: Rng) -> list:
    out = []

    def case(name: str, key: bytes, r: bytes, s: int, msg: bytes):
        sig = r + s.to_bytes(32, "little")
        accepts = Signature(sig).verify(Pubkey(key), msg)
        out.append({"case": name, "pubkey_hex": hexs(key), "signature_hex": hexs(sig),
                    "message_hex": hexs(msg), "solana_accepts": accepts})

    small = small_order_encodings()
    identity = ed_encode(ED_IDENTITY)
    # Keys of small order. With S = 0 and R the identity, [S]B - [k]A = -[k]A is the
    # identity whenever k is a multiple of A's order: a message is searched for that
    # makes the plain RFC 8032 equation hold, a forgery under that key.
    for enc in small:
        a = ed_decode(enc)
        order = point_order(a)
        n = 0
        while challenge(identity, enc, n.to_bytes(8, "little")) % order:
            n += 1
        case("small-order key, R identity, S 0, equation holds", enc, identity, 0, n.to_bytes(8, "little"))
        case("small-order key, R the key, S 0", enc, enc, 0, rng.bytes(rng.int(0, 40)))
    # An honest key signing with R of small order: S = k*a makes [S]B - [k]A the
    # identity, so with R the identity the equation holds; other R values never do.
    secret = rng.int(1, ED_L - 1)
    key = ed_encode(ed_mul(secret, ED_B))
    for enc in small:
        msg = rng.bytes(rng.int(0, 40))
        case("honest key, R of small order, S = k*a", key, enc, challenge(enc, key, msg) * secret % ED_L, msg)
    # Keys with a torsion component (A = aB + T, not of small order): a signature made
    # with the secret a holds when k is a multiple of T's order; with S = k*a,
    # [S]B - [k]A = -[k]T, a small-order R that holds the equation.
    for t in ED_TORSION[1:]:
        order = point_order(t)
        secret = rng.int(1, ED_L - 1)
        key = ed_encode(ed_add(ed_mul(secret, ED_B), t))
        for want_holds in (True, False):
            while True:
                nonce = rng.int(1, ED_L - 1)
                r = ed_encode(ed_mul(nonce, ED_B))
                msg = rng.bytes(rng.int(0, 40))
                k = challenge(r, key, msg)
                if (k % order == 0) == want_holds:
                    break
            case(f"mixed-order key (torsion order {order}), honest signature, "
                 + ("kT = 0" if want_holds else "kT != 0"), key, r, (nonce + k * secret) % ED_L, msg)
        while True:
            msg = rng.bytes(rng.int(0, 40))
            for enc in small:
                k = challenge(enc, key, msg)
                if ed_encode(ed_mul(ED_L - k % ED_L, t)) == enc:
                    break
            else:
                continue
            break
        case(f"mixed-order key (torsion order {order}), R = -kT of small order, S = k*a",
             key, enc, k * secret % ED_L, msg)
    # R with a torsion component: only a cofactored check would accept these.
    for t in ED_TORSION[1:5]:
        secret, nonce = rng.int(1, ED_L - 1), rng.int(1, ED_L - 1)
        key = ed_encode(ed_mul(secret, ED_B))
        r = ed_encode(ed_add(ed_mul(nonce, ED_B), t))
        msg = rng.bytes(rng.int(0, 40))
        case("R with a torsion component", key, r, (nonce + challenge(r, key, msg) * secret) % ED_L, msg)
    # Honest signatures from solders, then S + L, S + 2^253 (bit flips above L), S = L, a
    # flipped bit anywhere, and keys or R that are not points.
    for i in range(12):
        kp = rng.keypair()
        msg = rng.bytes(rng.int(0, 120))
        sig = bytes(kp.sign_message(msg))
        key, r, s = bytes(kp.pubkey()), sig[:32], int.from_bytes(sig[32:], "little")
        case("honest signature", key, r, s, msg)
        if i < 3:
            case("honest signature, S + L", key, r, s + ED_L, msg)
            case("honest signature, S + 2^253", key, r, s + 2**253, msg)
            case("honest key, S = L", key, r, ED_L, msg)
        bit = rng.int(0, 511)
        flipped = bytearray(sig)
        flipped[bit // 8] ^= 1 << (bit % 8)
        case("honest signature, one bit flipped", key, bytes(flipped[:32]), int.from_bytes(flipped[32:], "little"), msg)
        if i < 2:
            other = bytearray(key)
            other[rng.int(0, 31)] ^= 1 << rng.int(0, 7)
            case("honest signature, key with one bit flipped", bytes(other), r, s, msg)
    while True:
        off = rng.bytes(32)
        if ed_decode(off) is None:
            break
    kp = rng.keypair()
    msg = rng.bytes(16)
    sig = bytes(kp.sign_message(msg))
    case("key not on the curve", off, sig[:32], int.from_bytes(sig[32:], "little"), msg)
    case("R not on the curve", bytes(kp.pubkey()), off, int.from_bytes(sig[32:], "little"), msg)
    # Non-canonical encodings (y = p + c) of points that are not of small order.
    for c in range(2, 19):
        enc = (ED_P + c).to_bytes(32, "little")
        if ed_decode(enc) is not None and ed_decode(enc) not in ED_TORSION:
            case("non-canonical key of large order, arbitrary signature", enc, identity, 1, rng.bytes(8))
    return out


# --------------------------------------------------------------------------


def dump(doc: dict) -> str:
    """JSON with one array element per line: compact, diff-friendly."""
    parts = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        sep = "," if i < len(items) - 1 else ""
        if isinstance(value, list):
            parts.append(f" {json.dumps(key)}: [")
            for j, elem in enumerate(value):
                esep = "," if j < len(value) - 1 else ""
                parts.append("  " + json.dumps(elem, ensure_ascii=True, separators=(",", ":")) + esep)
            parts.append(" ]" + sep)
        else:
            parts.append(f" {json.dumps(key)}: {json.dumps(value)}{sep}")
    parts.append("}")
    return "\n".join(parts) + "\n"


def main() -> int:
    solders_version = version("solders")
    if solders_version != EXPECTED_SOLDERS:
        print(f"warning: solders {solders_version} installed, vectors were made with {EXPECTED_SOLDERS}",
              file=sys.stderr)
    doc = {
        "generator": GENERATOR,
        "solders_version": solders_version,
        "base58": gen_base58(Rng(58)),
        "compact_u16": gen_compact_u16(Rng(16)),
        "keypairs": gen_keypairs(Rng(25519)),
        "system_instructions": gen_system_instructions(Rng(11111)),
        "legacy_messages": gen_legacy_messages(Rng(1)),
        "v0_messages": gen_v0_messages(Rng(2)),
        "pdas": gen_pdas(Rng(3)),
        "create_program_address": gen_create_program_address(Rng(4)),
        "create_with_seed": gen_create_with_seed(Rng(5)),
        "on_curve": gen_on_curve(Rng(6)),
        "small_order_encodings": [hexs(b) for b in small_order_encodings()],
        "signature_checks": gen_signature_checks(Rng(7)),
    }
    text = dump(doc)
    json.loads(text)  # must round-trip
    out = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    counts = ", ".join(f"{k} {len(v)}" for k, v in doc.items() if isinstance(v, list))
    print(f"wrote {out} ({len(text)} bytes): {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
