"""Helpers for the API tests: keys for a store, a real server process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from sentinella.api import create_key, revoke_key
from sentinella.store import Store


@dataclass(frozen=True)
class Keys:
    analyst: str
    ingest: str
    revoked: str
    admin: str


def make_keys(store: Store) -> Keys:
    analyst, _ = create_key(store.connection, role="analyst", actor="test", label="analyst")
    ingest, _ = create_key(store.connection, role="ingest", actor="test")
    revoked, record = create_key(store.connection, role="analyst", actor="test")
    revoke_key(store.connection, record.key_id, actor="test")
    admin, _ = create_key(store.connection, role="admin", actor="test")
    return Keys(analyst, ingest, revoked, admin)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    db: Path
    keys: Keys
    process: subprocess.Popen[bytes]


def start_server(db: Path, *extra: str) -> tuple[str, subprocess.Popen[bytes]]:
    """`sentinella serve` in its own process on a free loopback port, once it answers /health."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sentinella.cli", "serve", "--db", str(db), "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SENTINELLA_THREADS": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, err = process.communicate()
            raise RuntimeError(f"server exited: {err.decode(errors='replace')}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not answer within 60 s")
