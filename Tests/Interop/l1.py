"""Start and stop the LiteSVM L1 (`l1_server.py`) for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class L1Process:
    """A running `l1_server.py`: its URL, and switches to take it offline and back."""

    def __init__(self, slot_ms: int = 50, finality_slots: int = 8):
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "l1_server.py"), "--port", "0", "--slot-ms", str(slot_ms), "--finality-slots", str(finality_slots)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("l1 listening on "):
            self.proc.kill()
            raise RuntimeError(f"l1_server did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.url = line.split()[-1]
        self.slot_ms = slot_ms
        self.finality_slots = finality_slots

    def offline(self) -> None:
        self.proc.send_signal(signal.SIGUSR1)
        time.sleep(0.3)

    def online(self) -> None:
        self.proc.send_signal(signal.SIGUSR2)
        time.sleep(0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> "L1Process":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def env_with_l1(url: str) -> dict:
    env = dict(os.environ)
    env["VERITY_L1_RPC"] = url
    return env
