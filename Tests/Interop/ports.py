"""Starting the `verity node` and `verity devnet` processes the interop tests drive.

Each binds port 0 (or ports it is given) and, once both its servers listen, prints one JSON line
on stdout naming them: {"event": "listening", "rpcPort": ..., "webSocketPort": ..., "rpc": ...,
"webSocket": ...}. That line is read back here, so no test probes for free ports.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time

import pytest


def binary() -> str:
    path = os.environ.get("VERITY_BIN")
    if not path:
        pytest.fail("VERITY_BIN is not set", pytrace=False)
    return path


def start(args: list[str], log: str, timeout: float = 120, env: dict | None = None) -> tuple[subprocess.Popen, dict]:
    """Starts `verity <args>` and returns it with its listening line once printed.

    Its stderr is appended to `log`; the rest of its stdout is read and dropped in the
    background, so the process never blocks on a full pipe. A process that exits first, or
    prints no line within `timeout` seconds, fails the test with the end of its log.
    """
    with open(log, "ab") as stderr:
        proc = subprocess.Popen([binary(), *args], stdout=subprocess.PIPE, stderr=stderr, env=env)
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.put(raw)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            raw = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if raw is None:
            break
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("event") == "listening":
            return proc, message
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    with open(log, "rb") as f:
        tail = f.read().decode(errors="replace")[-3000:]
    pytest.fail(f"verity {' '.join(args[:1])} printed no listening line (exit {proc.returncode}): {tail}")


def stop(proc: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM (a graceful shutdown), then SIGKILL if it is still running after `timeout` s."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def wait_until(predicate, timeout: float, what: str):
    """Polls `predicate` every 0.1 s until it returns something truthy, which is returned; fails
    the test naming `what` after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def stop_all(procs: list[subprocess.Popen]) -> None:
    """Stops processes a test started: SIGCONT first (one a test paused must wake to exit),
    then SIGTERM, 15 seconds to finish, and SIGKILL for any still running."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
