"""The test L1 (LiteSVM behind Solana JSON-RPC) driven by the unmodified `solana` client.

Verity's settlement tests trust this server to behave as a cluster's RPC does for the methods
Verity's L1 client uses, so those behaviours are pinned here: airdrops and transfers land with
fees charged, a memo is readable back from history, confirmation levels advance with slots,
expired blockhashes, duplicates, bad signatures and failing transactions are refused as a
cluster refuses them, and the server can go offline and come back with its state.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from l1 import L1Process
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Finalized
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

SOL = 1_000_000_000
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


@pytest.fixture(scope="module")
def l1():
    with L1Process(slot_ms=40, finality_slots=6) as process:
        yield process


def raw(url: str, method: str, params=None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def funded(client: AsyncClient, lamports: int = 5 * SOL) -> Keypair:
    kp = Keypair()
    signature = (await client.request_airdrop(kp.pubkey(), lamports)).value
    await client.confirm_transaction(signature, commitment=Confirmed, sleep_seconds=0.02)
    return kp


async def signed(client: AsyncClient, payer: Keypair, instructions) -> VersionedTransaction:
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    return VersionedTransaction(Message.new_with_blockhash(instructions, payer.pubkey(), blockhash), [payer])


def test_transfer_with_memo_lands_and_reads_back(l1):
    async def run():
        async with AsyncClient(l1.url) as client:
            payer = await funded(client)
            to = Keypair().pubkey()
            memo = Instruction(MEMO, b"verity:test memo", [AccountMeta(payer.pubkey(), True, False)])
            tx = await signed(client, payer, [memo, transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=SOL))])
            signature = (await client.send_transaction(tx)).value
            await client.confirm_transaction(signature, commitment=Finalized, sleep_seconds=0.02)
            assert (await client.get_balance(to)).value == SOL
            assert (await client.get_balance(payer.pubkey())).value == 4 * SOL - 5000
            history = (await client.get_signatures_for_address(to, commitment=Finalized)).value
            assert [str(h.signature) for h in history] == [str(signature)]
            assert history[0].memo == "[16] verity:test memo"
            found = (await client.get_transaction(signature, encoding="json", commitment=Finalized)).value
            assert found is not None and found.transaction.meta.err is None
            assert found.transaction.meta.fee == 5000
            back = raw(l1.url, "getTransaction", [str(signature), {"encoding": "base64"}])["result"]
            import base64
            assert VersionedTransaction.from_bytes(base64.b64decode(back["transaction"][0])) == tx
    asyncio.run(run())


def test_confirmation_levels_advance_with_slots(l1):
    async def run():
        async with AsyncClient(l1.url) as client:
            payer = await funded(client)
            tx = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000))])
            signature = (await client.send_transaction(tx, opts=TxOpts(skip_confirmation=True))).value
            seen = []
            for _ in range(200):
                status = (await client.get_signature_statuses([signature])).value[0]
                if status is not None:
                    name = str(status.confirmation_status).split(".")[-1].lower()
                    if not seen or seen[-1] != name:
                        seen.append(name)
                    if name == "finalized":
                        assert status.confirmations is None
                        break
                await asyncio.sleep(0.01)
            assert seen[-1] == "finalized"
            assert seen == sorted(seen, key=["processed", "confirmed", "finalized"].index)
            # Unfinalized history is hidden at `finalized`, shown at `confirmed`.
            tx2 = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000))])
            sig2 = (await client.send_transaction(tx2, opts=TxOpts(skip_confirmation=True))).value
            assert (await client.get_transaction(sig2, commitment=Finalized)).value is None
            await client.confirm_transaction(sig2, commitment=Finalized, sleep_seconds=0.02)
            assert (await client.get_transaction(sig2, commitment=Finalized)).value is not None
    asyncio.run(run())


def test_refusals_match_a_cluster(l1):
    async def run():
        async with AsyncClient(l1.url) as client:
            payer = await funded(client, SOL)
            # A failing transfer is refused by preflight with the program's error and logs.
            too_much = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=10 * SOL))])
            with pytest.raises(RPCException) as failure:
                await client.send_transaction(too_much)
            assert "InstructionError" in str(failure.value)
            # With preflight skipped it lands, fails, and the fee is charged.
            sig = (await client.send_transaction(too_much, opts=TxOpts(skip_preflight=True, skip_confirmation=True))).value
            await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.02)
            status = (await client.get_signature_statuses([sig])).value[0]
            assert status.err is not None
            assert (await client.get_balance(payer.pubkey())).value == SOL - 5000
            # The same transaction again: already processed.
            with pytest.raises(RPCException) as duplicate:
                await client.send_transaction(too_much)
            assert "AlreadyProcessed" in str(duplicate.value)
            # A bad signature.
            ok = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000))])
            wire = bytearray(bytes(ok))
            wire[5] ^= 1
            import base64
            answer = raw(l1.url, "sendTransaction", [base64.b64encode(bytes(wire)).decode(), {"encoding": "base64"}])
            assert answer["error"]["code"] == -32003
    asyncio.run(run())


def test_expired_blockhash_is_refused(l1):
    async def run():
        async with AsyncClient(l1.url) as client:
            payer = await funded(client)
            old = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1_000_000))])
            valid = raw(l1.url, "isBlockhashValid", [str(old.message.recent_blockhash)])["result"]["value"]
            assert valid is True
            await asyncio.sleep(0.04 * 160)  # past the 150-slot window
            assert raw(l1.url, "isBlockhashValid", [str(old.message.recent_blockhash)])["result"]["value"] is False
            with pytest.raises(RPCException) as failure:
                await client.send_transaction(old)
            assert "BlockhashNotFound" in str(failure.value)
    asyncio.run(run())


def test_bad_requests_get_errors_and_the_server_stays_up(l1):
    assert raw(l1.url, "getBalance", ["not-a-key"])["error"]["code"] == -32602
    assert raw(l1.url, "noSuchMethod")["error"]["code"] == -32601
    assert raw(l1.url, "sendTransaction", ["A" * 5000, {"encoding": "base64"}])["error"]["code"] == -32602
    assert raw(l1.url, "getSignaturesForAddress", [str(Keypair().pubkey()), {"limit": 0}])["error"]["code"] == -32602
    request = urllib.request.Request(l1.url, data=b"{garbage", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["error"]["code"] == -32700
    assert raw(l1.url, "getHealth")["result"] == "ok"


def test_offline_and_back_keeps_state():
    with L1Process(slot_ms=20, finality_slots=4) as l1:
        async def fund():
            async with AsyncClient(l1.url) as client:
                kp = await funded(client, 3 * SOL)
                return kp.pubkey()
        key = asyncio.run(fund())
        slot = raw(l1.url, "getSlot")["result"]
        l1.offline()
        with pytest.raises(OSError):  # refused, or reset if a connection raced the shutdown
            raw(l1.url, "getSlot")
        l1.online()
        assert raw(l1.url, "getSlot")["result"] > slot
        assert raw(l1.url, "getBalance", [str(key)])["result"]["value"] == 3 * SOL
