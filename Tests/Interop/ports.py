"""Ports for the nodes the interop tests start.

A Verity node serves JSON-RPC on its port and WebSocket subscriptions on the next one, so a
test needs both free: a port the kernel hands out for port 0 can have its successor taken
(another process, or an outgoing connection's ephemeral port), and the node then exits.
"""

from __future__ import annotations

import socket


def _can_bind(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port P such that P and P + 1 could both be bound just now."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 65535 and _can_bind(port + 1):
            return port
    raise RuntimeError("no free pair of adjacent ports on 127.0.0.1")
