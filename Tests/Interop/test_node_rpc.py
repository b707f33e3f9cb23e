"""A real `verity node` driven by the unmodified Python `solana` client and `solders`.

Starts the node on a free port with a faucet, then: airdrop and confirm with the client's own
helper, transfer between fresh keypairs, create an account and read it back, see a failed
transaction's error, a preflight failure, a duplicate and an unknown blockhash refused, and
garbage JSON-RPC answered with Solana's error codes while the node keeps running.

Needs VERITY_BIN; scripts/test sets it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest
import ports
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from solders.transaction import VersionedTransaction

SOL = 1_000_000_000


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    log = str(tmp_path_factory.mktemp("node") / "node.log")
    proc, ready = ports.start(["node", "--rpc-port", "0", "--faucet-lamports", str(1_000_000 * SOL)], log)
    assert ready["rpcPort"] != ready["webSocketPort"]
    yield ready["rpc"], proc
    assert ports.stop(proc) == 0, "a node stopped with SIGTERM exits cleanly"


def raw_rpc(url: str, payload, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def funded(client: AsyncClient, lamports: int = 10 * SOL) -> Keypair:
    kp = Keypair()
    sig = (await client.request_airdrop(kp.pubkey(), lamports)).value
    await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
    return kp


async def signed(client: AsyncClient, payer: Keypair, instructions, extra_signers=(), blockhash=None) -> VersionedTransaction:
    if blockhash is None:
        blockhash = (await client.get_latest_blockhash()).value.blockhash
    message = Message.new_with_blockhash(instructions, payer.pubkey(), blockhash)
    return VersionedTransaction(message, [payer, *extra_signers])


def run(coro):
    return asyncio.run(coro)


def test_airdrop_and_transfer_with_the_solana_client(node):
    async def body():
        async with AsyncClient(node[0]) as client:
            assert await client.is_connected()
            alice = await funded(client)
            assert (await client.get_balance(alice.pubkey())).value == 10 * SOL
            bob = Keypair()
            tx = await signed(client, alice, [transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=2 * SOL))])
            sig = (await client.send_transaction(tx)).value
            await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
            assert (await client.get_balance(bob.pubkey())).value == 2 * SOL
            assert (await client.get_balance(alice.pubkey())).value == 8 * SOL - 5000
            status = (await client.get_signature_statuses([sig])).value[0]
            assert status is not None and status.err is None and status.slot > 0
    run(body())


def test_create_account_and_read_it(node):
    async def body():
        async with AsyncClient(node[0]) as client:
            payer = await funded(client)
            new = Keypair()
            owner = Pubkey.from_string("Vote111111111111111111111111111111111111111")
            rent = (await client.get_minimum_balance_for_rent_exemption(40)).value
            assert rent == (128 + 40) * 3480 * 2
            ix = create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=new.pubkey(), lamports=rent, space=40, owner=owner))
            sig = (await client.send_transaction(await signed(client, payer, [ix], [new]))).value
            await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
            info = (await client.get_account_info(new.pubkey())).value
            assert info is not None and info.owner == owner and info.lamports == rent and bytes(info.data) == bytes(40)
            assert (await client.get_account_info(Keypair().pubkey())).value is None
    run(body())


def test_failed_and_refused_transactions(node):
    async def body():
        async with AsyncClient(node[0]) as client:
            payer = await funded(client, 2 * SOL)
            too_much = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=5 * SOL))])
            # Preflight catches it: Solana's -32002 with the instruction error.
            with pytest.raises(RPCException) as refused:
                await client.send_transaction(too_much)
            assert "custom program error: 0x1" in str(refused.value)
            # Skipping preflight, it lands in a block as failed, and the fee is charged.
            sig = (await client.send_transaction(too_much, opts=TxOpts(skip_preflight=True))).value
            await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
            status = (await client.get_signature_statuses([sig])).value[0]
            assert status is not None and status.err is not None and "InstructionError" in str(status.err)
            assert (await client.get_balance(payer.pubkey())).value == 2 * SOL - 5000
            # The same transaction again is refused.
            with pytest.raises(RPCException):
                await client.send_transaction(too_much, opts=TxOpts(skip_preflight=True))
            # An unknown blockhash is refused by preflight.
            bogus = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1))],
                                 blockhash=Hash.new_unique())
            with pytest.raises(RPCException) as stale:
                await client.send_transaction(bogus)
            assert "Blockhash not found" in str(stale.value)
    run(body())


def test_bad_requests_get_solana_error_codes(node):
    url, proc = node
    assert raw_rpc(url, None, raw=b"{not json")["error"]["code"] == -32700
    assert raw_rpc(url, {"jsonrpc": "2.0", "id": 3, "method": "noSuchMethod"})["error"]["code"] == -32601
    assert raw_rpc(url, {"jsonrpc": "2.0", "id": 4, "method": "getBalance", "params": [42]})["error"]["code"] == -32602
    assert raw_rpc(url, {"jsonrpc": "2.0", "id": 5, "method": "getBalance", "params": ["0OIl"]})["error"]["code"] == -32602
    garbage_tx = raw_rpc(url, {"jsonrpc": "2.0", "id": 6, "method": "sendTransaction", "params": ["AAAA", {"encoding": "base64"}]})
    assert garbage_tx["error"]["code"] == -32602
    batch = raw_rpc(url, [{"jsonrpc": "2.0", "id": 7, "method": "getSlot"}, {"jsonrpc": "2.0", "id": 8, "method": "getVersion"}])
    assert [r["id"] for r in batch] == [7, 8] and "solana-core" in batch[1]["result"]
    assert raw_rpc(url, {"jsonrpc": "1.0", "id": 9, "method": "getSlot"})["error"]["code"] == -32600
    # Still serving.
    assert proc.poll() is None
    assert raw_rpc(url, {"jsonrpc": "2.0", "id": 10, "method": "getHealth"})["result"] == "ok"


def test_history_and_queries_with_the_solana_client(node):
    async def body():
        async with AsyncClient(node[0]) as client:
            payer = await funded(client)
            owner = Pubkey.from_string("Stake11111111111111111111111111111111111111")
            created = []
            for space in (16, 24):
                new = Keypair()
                rent = (await client.get_minimum_balance_for_rent_exemption(space)).value
                ix = create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=new.pubkey(), lamports=rent, space=space, owner=owner))
                sig = (await client.send_transaction(await signed(client, payer, [ix], [new]))).value
                await client.confirm_transaction(sig, commitment=Confirmed, sleep_seconds=0.05)
                created.append((new.pubkey(), sig))

            tx = (await client.get_transaction(created[0][1])).value
            assert tx is not None and tx.slot > 0 and tx.transaction.meta.fee == 10000
            assert tx.transaction.meta.err is None
            tx64 = (await client.get_transaction(created[0][1], encoding="base64")).value
            assert tx64 is not None and tx64.slot == tx.slot

            block = (await client.get_block(tx.slot)).value
            assert str(created[0][1]) in [str(t.transaction.signatures[0]) for t in block.transactions]
            assert (await client.get_block_time(tx.slot)).value == block.block_time
            slots = (await client.get_blocks(1)).value
            assert tx.slot in slots

            history = (await client.get_signatures_for_address(payer.pubkey())).value
            assert [h.signature for h in history][:2] == [created[1][1], created[0][1]]

            accounts = (await client.get_multiple_accounts([created[0][0], Keypair().pubkey(), created[1][0]])).value
            assert accounts[1] is None and len(accounts[0].data) == 16 and len(accounts[2].data) == 24

            sized = (await client.get_program_accounts(owner, filters=[24])).value
            assert [a.pubkey for a in sized] == [created[1][0]]

            message = Message.new_with_blockhash([transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1))],
                                                 payer.pubkey(), (await client.get_latest_blockhash()).value.blockhash)
            assert (await client.get_fee_for_message(message)).value == 5000

            too_much = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=100 * SOL))])
            simulated = (await client.simulate_transaction(too_much)).value
            assert simulated.err is not None and any("failed" in line for line in simulated.logs)

            epoch = (await client.get_epoch_info()).value
            assert epoch.absolute_slot >= tx.slot
    run(body())


def test_websocket_subscriptions_with_the_solana_client(node):
    from solana.rpc.websocket_api import SolanaWsClient
    from solders.rpc.config import RpcTransactionLogsFilterMentions

    async def body():
        url = node[0]
        async with AsyncClient(url) as client:
            # The node was started on port 0: the client finds the WebSocket port as Solana's
            # tools do, in getClusterNodes' pubsub address.
            nodes = (await client.get_cluster_nodes()).value
            assert len(nodes) == 1 and str(nodes[0].rpc) == url.removeprefix("http://")
            ws_url = f"ws://{nodes[0].pubsub}"
            payer = await funded(client)
            bob = Keypair()
            async with SolanaWsClient(ws_url) as ws:
                slot_sub = await ws.slot_subscribe()
                await ws.account_subscribe(pubkey=bob.pubkey())
                await ws.logs_subscribe(filter_=RpcTransactionLogsFilterMentions(bob.pubkey()))
                tx = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=bob.pubkey(), lamports=3 * SOL))])
                await ws.signature_subscribe(signature=tx.signatures[0])
                await client.send_transaction(tx)
                seen = {}
                while len(seen) < 4:
                    note = await asyncio.wait_for(ws.recv(), timeout=10)
                    seen.setdefault(type(note).__name__, note)
                assert seen["AccountNotification"].result.value.lamports == 3 * SOL
                assert seen["LogsNotification"].result.value.signature == tx.signatures[0]
                assert seen["SignatureNotification"].result.value.err is None
                assert seen["SlotNotification"].result.slot > 0
                await ws.unsubscribe(slot_sub)
    run(body())


def test_wallet_commands_against_the_node(node, tmp_path):
    url = node[0]
    binary = os.environ["VERITY_BIN"]

    def verity(*args, ok=True):
        proc = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    alice, bob = str(tmp_path / "alice.json"), str(tmp_path / "bob.json")
    verity("keygen", "--outfile", alice)
    bob_address = verity("keygen", "--outfile", bob).stdout.strip()
    assert len(verity("airdrop", "--rpc", url, "--keypair", alice, str(5 * SOL)).stdout.strip()) > 80
    assert verity("balance", "--rpc", url, "--keypair", alice).stdout.strip() == "5 SOL (5000000000 lamports)"
    verity("transfer", "--rpc", url, "--keypair", alice, "--to", bob_address, "--lamports", "1500000000")
    assert verity("balance", "--rpc", url, bob_address).stdout.strip() == "1.5 SOL (1500000000 lamports)"
    # Errors: one line, non-zero exit, nothing on stdout.
    for args in (["transfer", "--rpc", url, "--keypair", bob, "--to", bob_address, "--lamports", str(100 * SOL)],
                 ["balance", "--rpc", "not a url", bob_address],
                 ["balance", "--rpc", "http://127.0.0.1:9", bob_address],
                 ["balance", "--rpc", url, "0OIl"]):
        proc = verity(*args, ok=False)
        assert proc.returncode != 0 and proc.stdout == "", args
        assert len(proc.stderr.strip().split("\n")) == 1, proc.stderr


def test_expired_blockhash_and_oversized_body(tmp_path):
    """A node with a 1.5 s blockhash lifetime refuses a transaction whose blockhash has aged out."""
    proc, ready = ports.start(["node", "--rpc-port", "0", "--faucet-lamports", str(1000 * SOL), "--blockhash-ttl-ms", "1500"],
                              str(tmp_path / "node.log"))
    url = ready["rpc"]
    try:
        async def body():
            async with AsyncClient(url) as client:
                payer = await funded(client)
                old = (await client.get_latest_blockhash()).value.blockhash
                tx = await signed(client, payer, [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1))], blockhash=old)
                await asyncio.sleep(3.0)  # heartbeat blocks move block time past the 1.5 s lifetime
                valid = raw_rpc(url, {"jsonrpc": "2.0", "id": 1, "method": "isBlockhashValid", "params": [str(old)]})
                assert valid["result"]["value"] is False
                with pytest.raises(RPCException) as expired:
                    await client.send_transaction(tx)
                assert "Blockhash not found" in str(expired.value)
        run(body())

        # A body over the 1 MiB limit is refused with 413, and the node keeps serving.
        request = urllib.request.Request(url, data=b"[" + b" " * (2 << 20) + b"]", headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as too_big:
            urllib.request.urlopen(request, timeout=10)
        assert too_big.value.code == 413
        assert raw_rpc(url, {"jsonrpc": "2.0", "id": 2, "method": "getHealth"})["result"] == "ok"
    finally:
        ports.stop(proc)
