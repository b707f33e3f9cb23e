"""Live round trips between the `verity` CLI and solders.

The binary under test comes from $VERITY_BIN, e.g.

    VERITY_BIN=.build/debug/verity .venv/bin/python -m pytest Tests/Interop

What is checked:
  * keygen / address: keypair files in solana-keygen format, read and written
    on both sides, tampered and malformed files rejected;
  * tx transfer: verity-signed transfers (legacy and v0) parse, verify and
    decode in solders and are byte-identical to what solders builds;
  * tx decode: solders-built transactions (legacy and v0 with lookup tables,
    several signers, System and other programs, plus every transaction in
    Tests/VerityCoreTests/Fixtures/solders_vectors.json) decode field by field
    the way solders reads them; bad signatures are reported; malformed input is
    refused with one line on stderr and nothing on stdout.
"""

from __future__ import annotations

import base64
import json
import os
import random
import stat
import struct
import subprocess
from pathlib import Path

import pytest
import solders.system_program as sp
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, CompiledInstruction, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.transaction import Legacy, Transaction, VersionedTransaction

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "VerityCoreTests" / "Fixtures" / "solders_vectors.json"
TIMEOUT = 30
SYSTEM = sp.ID
U64_MAX = 2**64 - 1


# --------------------------------------------------------------------------
# Helpers


@pytest.fixture(scope="session")
def verity_bin() -> str:
    path = os.environ.get("VERITY_BIN")
    if not path:
        pytest.fail("VERITY_BIN is not set: point it at the verity binary, "
                    "e.g. VERITY_BIN=.build/debug/verity", pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"VERITY_BIN={path!r} is not an executable file", pytrace=False)
    return path


@pytest.fixture
def verity(verity_bin):
    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([verity_bin, *args], capture_output=True, text=True,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            pytest.fail(f"verity {' '.join(args)} exited {proc.returncode}\n"
                        f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc
    return run


def assert_one_line_error(proc: subprocess.CompletedProcess, what: str) -> None:
    assert proc.returncode != 0, f"{what}: expected failure, got exit 0 and stdout {proc.stdout!r}"
    assert proc.stdout == "", f"{what}: stdout must be empty on failure, got {proc.stdout!r}"
    lines = proc.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].strip(), \
        f"{what}: expected exactly one non-empty stderr line, got {proc.stderr!r}"


def single_line(stdout: str) -> str:
    lines = stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one line of output, got {stdout!r}"
    return lines[0].strip()


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * zeros + out


def kp_from(rng: random.Random) -> Keypair:
    return Keypair.from_seed(bytes(rng.getrandbits(8) for _ in range(32)))


def pk_from(rng: random.Random) -> Pubkey:
    return Pubkey(bytes(rng.getrandbits(8) for _ in range(32)))


def hash_from(rng: random.Random) -> Hash:
    return Hash(bytes(rng.getrandbits(8) for _ in range(32)))


def write_keypair(path: Path, kp: Keypair) -> None:
    path.write_text(json.dumps(list(bytes(kp))))


def flags(msg, index: int) -> tuple[bool, bool]:
    """(is_signer, is_writable) of static account `index`, from the header."""
    h = msg.header
    n_static = len(msg.account_keys)
    n_sig = h.num_required_signatures
    if index < n_sig:
        return True, index < n_sig - h.num_readonly_signed_accounts
    return False, index < n_static - h.num_readonly_unsigned_accounts


def to_instruction(msg, ci: CompiledInstruction) -> Instruction | None:
    """Rebuild an Instruction from a compiled one; None if it uses looked-up accounts."""
    keys = list(msg.account_keys)
    if any(i >= len(keys) for i in ci.accounts) or ci.program_id_index >= len(keys):
        return None
    metas = [AccountMeta(keys[i], *flags(msg, i)) for i in ci.accounts]
    return Instruction(keys[ci.program_id_index], bytes(ci.data), metas)


# System instruction discriminant -> (jsonParsed type, solders decoder, params -> info)
PARSED = {
    0: ("createAccount", sp.decode_create_account, lambda p: {
        "source": p["from_pubkey"], "newAccount": p["to_pubkey"], "lamports": p["lamports"],
        "space": p["space"], "owner": p["owner"]}),
    1: ("assign", sp.decode_assign, lambda p: {"account": p["pubkey"], "owner": p["owner"]}),
    2: ("transfer", sp.decode_transfer, lambda p: {
        "source": p["from_pubkey"], "destination": p["to_pubkey"], "lamports": p["lamports"]}),
    3: ("createAccountWithSeed", sp.decode_create_account_with_seed, lambda p: {
        "source": p["from_pubkey"], "newAccount": p["to_pubkey"], "base": p["base"], "seed": p["seed"],
        "lamports": p["lamports"], "space": p["space"], "owner": p["owner"]}),
    8: ("allocate", sp.decode_allocate, lambda p: {"account": p["pubkey"], "space": p["space"]}),
    9: ("allocateWithSeed", sp.decode_allocate_with_seed, lambda p: {
        "account": p["address"], "base": p["base"], "seed": p["seed"], "space": p["space"],
        "owner": p["owner"]}),
    10: ("assignWithSeed", sp.decode_assign_with_seed, lambda p: {
        "account": p["address"], "base": p["base"], "seed": p["seed"], "owner": p["owner"]}),
    11: ("transferWithSeed", sp.decode_transfer_with_seed, lambda p: {
        "source": p["from_pubkey"], "sourceBase": p["from_base"], "destination": p["to_pubkey"],
        "lamports": p["lamports"], "sourceSeed": p["from_seed"], "sourceOwner": p["from_owner"]}),
}


def jsonable(params: dict) -> dict:
    return {k: (str(v) if isinstance(v, Pubkey) else v) for k, v in params.items()}


def expected_parsed(ix: Instruction) -> dict | None:
    if ix.program_id != SYSTEM or len(ix.data) < 4:
        return None
    kind = struct.unpack_from("<I", bytes(ix.data))[0]
    if kind not in PARSED:
        return None
    name, decode, info = PARSED[kind]
    return {"type": name, "info": info(jsonable(decode(ix)))}


def check_decoded(out: dict, tx: VersionedTransaction, *, valid: bool = True,
                  parsed: list | None = None) -> None:
    """Compare `verity tx decode` JSON with solders' reading of the same bytes.

    `parsed`, when given, lists the expected "parsed" object (or None) per
    instruction, computed from the parameters the test built them with.
    """
    msg = tx.message
    legacy = tx.version() == Legacy.Legacy
    assert out["version"] == ("legacy" if legacy else 0)
    assert out["signatures"] == [str(s) for s in tx.signatures]
    assert out["signaturesValid"] is valid
    assert out["header"] == {
        "numRequiredSignatures": msg.header.num_required_signatures,
        "numReadonlySignedAccounts": msg.header.num_readonly_signed_accounts,
        "numReadonlyUnsignedAccounts": msg.header.num_readonly_unsigned_accounts,
    }
    assert out["accountKeys"] == [str(k) for k in msg.account_keys]
    assert out["recentBlockhash"] == str(msg.recent_blockhash)

    assert len(out["instructions"]) == len(msg.instructions)
    for n, (got, ci) in enumerate(zip(out["instructions"], msg.instructions)):
        assert got["programIdIndex"] == ci.program_id_index, f"instruction {n}"
        assert got["accounts"] == list(bytes(ci.accounts)), f"instruction {n}"
        assert got["data"] == b58(bytes(ci.data)), f"instruction {n}"
        program = msg.account_keys[ci.program_id_index]
        if program != SYSTEM:
            assert "parsed" not in got, f"instruction {n}: only System instructions are parsed"
            continue
        ix = to_instruction(msg, ci)
        if ix is None:
            continue  # accounts come from lookup tables: nothing to resolve them with
        want = expected_parsed(ix)
        if parsed is not None:
            assert want == parsed[n], f"test bug: solders disagrees with params of instruction {n}"
        if want is not None:
            assert got.get("parsed") == want, f"instruction {n}"

    if legacy:
        assert out.get("addressTableLookups") in (None, [])
    else:
        assert out["addressTableLookups"] == [
            {"accountKey": str(l.account_key), "writableIndexes": list(bytes(l.writable_indexes)),
             "readonlyIndexes": list(bytes(l.readonly_indexes))}
            for l in msg.address_table_lookups
        ]


def decode(verity, raw: bytes) -> dict:
    proc = verity("tx", "decode", base64.b64encode(raw).decode())
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        pytest.fail(f"tx decode printed invalid JSON ({e}): {proc.stdout!r}")


# --------------------------------------------------------------------------
# (a) keygen


def test_keygen_writes_solana_keypair_file(verity, tmp_path):
    out = tmp_path / "id.json"
    address = single_line(verity("keygen", "--outfile", str(out)).stdout)

    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    numbers = json.loads(out.read_text())
    assert isinstance(numbers, list) and len(numbers) == 64
    assert all(isinstance(n, int) and 0 <= n <= 255 for n in numbers)
    kp = Keypair.from_bytes(bytes(numbers))
    assert str(kp.pubkey()) == address
    assert Keypair.from_seed(bytes(numbers[:32])).pubkey() == kp.pubkey()

    # verity's own view of the file agrees
    assert single_line(verity("address", "--keypair", str(out)).stdout) == address


def test_keygen_refuses_overwrite_without_force(verity, tmp_path):
    out = tmp_path / "id.json"
    first = single_line(verity("keygen", "--outfile", str(out)).stdout)
    before = out.read_bytes()

    proc = verity("keygen", "--outfile", str(out), check=False)
    assert_one_line_error(proc, "keygen over an existing file")
    assert out.read_bytes() == before

    second = single_line(verity("keygen", "--outfile", str(out), "--force").stdout)
    assert second != first
    assert out.read_bytes() != before
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert str(Keypair.from_bytes(bytes(json.loads(out.read_text()))).pubkey()) == second


def test_keygen_keys_differ(verity, tmp_path):
    addresses = {single_line(verity("keygen", "--outfile", str(tmp_path / f"k{i}.json")).stdout)
                 for i in range(3)}
    assert len(addresses) == 3


# --------------------------------------------------------------------------
# (b), (c) address


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_address_of_solders_keypair(verity, tmp_path, seed):
    kp = Keypair.from_seed(bytes([seed * 37]) * 32)
    path = tmp_path / "kp.json"
    write_keypair(path, kp)
    assert single_line(verity("address", "--keypair", str(path)).stdout) == str(kp.pubkey())


def test_address_rejects_mismatched_public_half(verity, tmp_path):
    kp = Keypair.from_seed(bytes(range(32)))
    other = Keypair.from_seed(bytes(range(1, 33)))
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(list(bytes(kp)[:32] + bytes(other.pubkey()))))
    assert_one_line_error(verity("address", "--keypair", str(path), check=False), "tampered keypair")


@pytest.mark.parametrize("content", [
    "[1, 2, 3]",                                  # too short
    json.dumps([7] * 65),                         # too long
    json.dumps([7] * 63 + [256]),                 # not a byte
    "not json",
    "",
])
def test_address_rejects_malformed_file(verity, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    proc = verity("address", "--keypair", str(path), check=False)
    assert proc.returncode != 0 and proc.stderr.strip() and proc.stdout == ""


def test_address_missing_file(verity, tmp_path):
    proc = verity("address", "--keypair", str(tmp_path / "absent.json"), check=False)
    assert proc.returncode != 0 and proc.stderr.strip() and proc.stdout == ""


# --------------------------------------------------------------------------
# (d) tx transfer


@pytest.mark.parametrize("v0", [False, True], ids=["legacy", "v0"])
@pytest.mark.parametrize("lamports", [0, 1, 1_000_000_000, U64_MAX])
def test_tx_transfer_matches_solders(verity, tmp_path, v0, lamports):
    rng = random.Random(lamports * 2 + v0)
    kp, to, blockhash = kp_from(rng), pk_from(rng), hash_from(rng)
    path = tmp_path / "payer.json"
    write_keypair(path, kp)
    args = ["tx", "transfer", "--keypair", str(path), "--to", str(to),
            "--lamports", str(lamports), "--blockhash", str(blockhash)]
    if v0:
        args.append("--v0")
    raw = base64.b64decode(single_line(verity(*args).stdout), validate=True)

    ix = sp.transfer(sp.TransferParams(from_pubkey=kp.pubkey(), to_pubkey=to, lamports=lamports))
    if v0:
        tx = VersionedTransaction.from_bytes(raw)
        assert tx.version() == 0
        msg = tx.message
        assert isinstance(msg, MessageV0) and list(msg.address_table_lookups) == []
        assert all(tx.verify_with_results())
        assert tx.signatures[0].verify(kp.pubkey(), to_bytes_versioned(msg))
        expected = VersionedTransaction(MessageV0.try_compile(kp.pubkey(), [ix], [], blockhash), [kp])
    else:
        tx = Transaction.from_bytes(raw)
        tx.verify()  # raises on a bad signature
        msg = tx.message
        assert tx.signatures[0].verify(kp.pubkey(), bytes(msg))
        expected = Transaction([kp], Message.new_with_blockhash([ix], kp.pubkey(), blockhash), blockhash)

    assert msg.recent_blockhash == blockhash
    assert len(tx.signatures) == 1 and len(msg.instructions) == 1
    decoded = sp.decode_transfer(to_instruction(msg, msg.instructions[0]))
    assert decoded == {"from_pubkey": kp.pubkey(), "to_pubkey": to, "lamports": lamports}
    # Ed25519 and message compilation are deterministic: identical bytes.
    assert raw == bytes(expected)


# --------------------------------------------------------------------------
# (e) tx decode of solders-built transactions


class Keys:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.signers: dict[Pubkey, Keypair] = {}

    def kp(self) -> Keypair:
        kp = kp_from(self.rng)
        self.signers[kp.pubkey()] = kp
        return kp

    def pk(self) -> Pubkey:
        return pk_from(self.rng)

    def data(self, n: int) -> bytes:
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def hash(self) -> Hash:
        return hash_from(self.rng)

    def sign(self, msg) -> list[Keypair]:
        return [self.signers[k] for k in list(msg.account_keys)[:msg.header.num_required_signatures]]


def system_ixs(keys: Keys, payer: Pubkey) -> list[tuple[Instruction, dict]]:
    """One of each System instruction the decoder parses, with expected "parsed"."""
    new, alloc, assigned, base = keys.kp(), keys.kp(), keys.kp(), keys.kp()
    owner, dest = keys.pk(), keys.pk()
    derived = Pubkey.create_with_seed(base.pubkey(), "vault-7", owner)
    derived2 = Pubkey.create_with_seed(base.pubkey(), "", owner)
    derived3 = Pubkey.create_with_seed(base.pubkey(), "x" * 32, SYSTEM)
    p, b = str(payer), str(base.pubkey())
    return [
        (sp.transfer(sp.TransferParams(from_pubkey=payer, to_pubkey=dest, lamports=U64_MAX)),
         {"type": "transfer", "info": {"source": p, "destination": str(dest), "lamports": U64_MAX}}),
        (sp.create_account(sp.CreateAccountParams(from_pubkey=payer, to_pubkey=new.pubkey(), lamports=2039280,
                                                  space=165, owner=owner)),
         {"type": "createAccount", "info": {"source": p, "newAccount": str(new.pubkey()), "lamports": 2039280,
                                            "space": 165, "owner": str(owner)}}),
        (sp.assign(sp.AssignParams(pubkey=assigned.pubkey(), owner=owner)),
         {"type": "assign", "info": {"account": str(assigned.pubkey()), "owner": str(owner)}}),
        (sp.allocate(sp.AllocateParams(pubkey=alloc.pubkey(), space=10 * 1024 * 1024)),
         {"type": "allocate", "info": {"account": str(alloc.pubkey()), "space": 10 * 1024 * 1024}}),
        (sp.transfer_with_seed(sp.TransferWithSeedParams(from_pubkey=derived, from_base=base.pubkey(),
                                                         from_seed="vault-7", from_owner=owner,
                                                         to_pubkey=dest, lamports=0)),
         {"type": "transferWithSeed", "info": {"source": str(derived), "sourceBase": b, "destination": str(dest),
                                               "lamports": 0, "sourceSeed": "vault-7",
                                               "sourceOwner": str(owner)}}),
        (sp.create_account_with_seed(sp.CreateAccountWithSeedParams(
            from_pubkey=payer, to_pubkey=derived2, base=base.pubkey(), seed="", lamports=1, space=0, owner=owner)),
         {"type": "createAccountWithSeed", "info": {"source": p, "newAccount": str(derived2), "base": b, "seed": "",
                                                    "lamports": 1, "space": 0, "owner": str(owner)}}),
        (sp.allocate_with_seed(sp.AllocateWithSeedParams(address=derived3, base=base.pubkey(), seed="x" * 32,
                                                         space=42, owner=SYSTEM)),
         {"type": "allocateWithSeed", "info": {"account": str(derived3), "base": b, "seed": "x" * 32,
                                               "space": 42, "owner": str(SYSTEM)}}),
        (sp.assign_with_seed(sp.AssignWithSeedParams(address=derived3, base=base.pubkey(), seed="x" * 32,
                                                     owner=owner)),
         {"type": "assignWithSeed", "info": {"account": str(derived3), "base": b, "seed": "x" * 32,
                                             "owner": str(owner)}}),
    ]


def custom_ix(keys: Keys, metas: list[AccountMeta], n: int = 17) -> tuple[Instruction, None]:
    return Instruction(keys.pk(), keys.data(n), metas), None


def build_case(name: str) -> tuple[VersionedTransaction, list]:
    """A solders-built transaction and the expected "parsed" per instruction."""
    keys = Keys(sum(map(ord, name)))
    payer = keys.kp().pubkey()
    bh = keys.hash()
    tables: list[AddressLookupTableAccount] = []
    if name == "legacy-transfer":
        pairs = system_ixs(keys, payer)[:1]
    elif name == "legacy-all-system":
        pairs = system_ixs(keys, payer)
    elif name == "legacy-mixed":
        cosigner, ro = keys.kp(), keys.pk()
        pairs = [custom_ix(keys, [AccountMeta(cosigner.pubkey(), True, False), AccountMeta(ro, False, False),
                                  AccountMeta(payer, False, True)], 200),
                 system_ixs(keys, payer)[0],
                 custom_ix(keys, [], 0)]
    elif name in ("v0-no-tables", "v0-lookups", "v0-multi-signer"):
        cosigner = keys.kp()
        w1, w2, r1, r2 = keys.pk(), keys.pk(), keys.pk(), keys.pk()
        sys_pairs = system_ixs(keys, payer)
        pairs = [sys_pairs[0],
                 custom_ix(keys, [AccountMeta(w1, False, True), AccountMeta(r1, False, False),
                                  AccountMeta(cosigner.pubkey(), True, name != "v0-multi-signer"),
                                  AccountMeta(w2, False, True), AccountMeta(r2, False, False)], 33)]
        if name == "v0-multi-signer":
            pairs += [sys_pairs[1], sys_pairs[4]]
        if name != "v0-no-tables":
            tables = [AddressLookupTableAccount(keys.pk(), [keys.pk(), w1, r2, cosigner.pubkey()]),
                      AddressLookupTableAccount(keys.pk(), [keys.pk(), keys.pk()]),   # nothing used
                      AddressLookupTableAccount(keys.pk(), [r1, w2, w1])]
    else:
        raise AssertionError(name)

    ixs = [ix for ix, _ in pairs]
    if name.startswith("legacy"):
        msg = Message.new_with_blockhash(ixs, payer, bh)
        tx = VersionedTransaction.from_legacy(Transaction(keys.sign(msg), msg, bh))
    else:
        msg = MessageV0.try_compile(payer, ixs, tables, bh)
        tx = VersionedTransaction(msg, keys.sign(msg))
    assert all(tx.verify_with_results())
    return tx, [p for _, p in pairs]


CASES = ["legacy-transfer", "legacy-all-system", "legacy-mixed", "v0-no-tables", "v0-lookups", "v0-multi-signer"]


@pytest.mark.parametrize("name", CASES)
def test_decode_solders_transaction(verity, name):
    tx, parsed = build_case(name)
    if name == "v0-lookups":
        assert len(tx.message.address_table_lookups) == 2  # the test exercises lookups
    check_decoded(decode(verity, bytes(tx)), tx, parsed=parsed)


@pytest.mark.parametrize("name", ["legacy-transfer", "legacy-all-system", "v0-lookups", "v0-multi-signer"])
@pytest.mark.parametrize("which", ["first", "last"])
def test_decode_reports_bad_signature(verity, name, which):
    tx, _ = build_case(name)
    raw = bytearray(bytes(tx))
    n_sigs = raw[0]  # fewer than 128 signatures: a one-byte short_vec
    sig_index = 0 if which == "first" else n_sigs - 1
    raw[1 + 64 * sig_index + 10] ^= 0x01
    bad = VersionedTransaction.from_bytes(bytes(raw))
    assert not all(bad.verify_with_results())
    check_decoded(decode(verity, bytes(raw)), bad, valid=False)


def test_decode_reports_tampered_message(verity):
    tx, _ = build_case("legacy-mixed")
    raw = bytearray(bytes(tx))
    n_sigs, n_keys = raw[0], len(tx.message.account_keys)  # both < 128: one-byte short_vecs
    blockhash_at = 1 + 64 * n_sigs + 3 + 1 + 32 * n_keys
    assert bytes(raw[blockhash_at:blockhash_at + 32]) == bytes(tx.message.recent_blockhash)
    raw[blockhash_at + 5] ^= 0x01  # signatures no longer match the (still well-formed) message
    bad = VersionedTransaction.from_bytes(bytes(raw))
    assert not all(bad.verify_with_results())
    check_decoded(decode(verity, bytes(raw)), bad, valid=False)


def fixture_transactions() -> list:
    if not FIXTURES.exists():
        return []
    doc = json.loads(FIXTURES.read_text())
    return [pytest.param(case["transaction_base64"], id=f"{section}-{i}")
            for section in ("legacy_messages", "v0_messages")
            for i, case in enumerate(doc[section])]


@pytest.mark.parametrize("tx_b64", fixture_transactions())
def test_decode_fixture_transaction(verity, tx_b64):
    raw = base64.b64decode(tx_b64)
    tx = VersionedTransaction.from_bytes(raw)
    out = json.loads(verity("tx", "decode", tx_b64).stdout)
    check_decoded(out, tx)


# --------------------------------------------------------------------------
# (f) malformed input


def malformed_inputs() -> list:
    tx, _ = build_case("legacy-mixed")
    raw = bytes(tx)
    assert raw[0] == 2  # payer and cosigner
    v0, _ = build_case("v0-lookups")
    raw0 = bytes(v0)
    one_sig, _ = build_case("legacy-transfer")
    one = bytes(one_sig)
    message = one[1 + 64:]
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return [
        pytest.param("this is not base64!", id="not-base64"),
        pytest.param("AAAA*AAA", id="bad-base64-char"),
        pytest.param("", id="empty"),
        pytest.param(b64(b""), id="empty-bytes"),
        pytest.param(b64(raw[:-7]), id="truncated-legacy"),
        pytest.param(b64(raw0[:-3]), id="truncated-v0"),
        pytest.param(b64(raw[:40]), id="truncated-in-signature"),
        pytest.param(b64(raw + b"\0"), id="trailing-byte-legacy"),
        pytest.param(b64(raw0 + b"garbage"), id="trailing-garbage-v0"),
        # Signature count disagrees with the header's numRequiredSignatures.
        pytest.param(b64(bytes([2]) + one[1:65] + one[1:65] + message), id="more-signatures-than-header"),
        pytest.param(b64(bytes([0]) + message), id="no-signatures"),
        pytest.param(b64(bytes([1]) + raw[1:65] + raw[1 + 64 * raw[0]:]), id="fewer-signatures-than-header"),
    ]


@pytest.mark.parametrize("arg", malformed_inputs())
def test_decode_rejects_malformed(verity, arg):
    assert_one_line_error(verity("tx", "decode", arg, check=False), f"tx decode {arg[:40]!r}")
