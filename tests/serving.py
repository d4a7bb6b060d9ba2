"""Running ``rectify serve`` as a real process for the tests: a free port, waiting until it
answers, stopping it and keeping what it printed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

RECTIFY = str(Path(sys.executable).with_name("rectify"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One ``rectify serve`` process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    sink: BinaryIO
    output: str = field(default="")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.sink.close()
        self.output = self.log.read_text(encoding="utf-8", errors="replace")
        return self.output


def start(db: str, log: Path, *options: str, env: dict[str, str] | None = None) -> Server:
    """``rectify serve --db DB OPTIONS`` on a free port, once it answers /login."""
    port = free_port()
    out = log.open("wb")
    process = subprocess.Popen([RECTIFY, "serve", "--port", str(port), "--db", db, *options],
                               stdout=out, stderr=subprocess.STDOUT,
                               env={**os.environ, "LANG": "C", **(env or {})})
    server = Server(process, port, log, out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"rectify serve ended: {server.stop()}")
        try:
            with urllib.request.urlopen(f"{server.base}/login", timeout=2):
                return server
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    raise AssertionError(f"rectify serve did not answer: {server.stop()}")
