"""A console world for the web tests: the analysed world's store with keys, rules applied, a case."""

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
from sentinella.cases import open_case
from sentinella.compare import run_compare
from sentinella.rules import apply_rules, parse_rules
from sentinella.store import Store
from service_world import World, analysed_copy

RULES = """
[[rule]]
id = "brushed-shop"
version = 1
author = "ana"
reason = "a ring boosted the shop"
subject = "merchant"
points = 30
enabled = true
[[rule.when]]
signal = "ring_boosted_shop"
min_strength = 0.5
"""


@dataclass(frozen=True)
class ConsoleWorld:
    db: Path
    analyst: str
    ingest: str
    revoked: str
    case_id: str
    merchant: str  # a merchant a ring boosted (findings with evidence)
    network: str  # the largest network judged a pyramid
    admin: str  # a key of role admin
    ring: str  # a ring boosting another merchant than ``merchant`` (no case on it)
    ring_merchant: str  # that ring's merchant
    # merchants with no case and no ring; tests never open one on the second (the browser does)
    quiet_merchants: tuple[str, str]
    quiet_member: str  # a member with no case


PRIVATE_COLUMNS = ("name", "phone", "id_number", "device_id", "bank_account")


def console_world(world: World, target: Path) -> ConsoleWorld:
    db = analysed_copy(world, target)
    with Store.open(db) as store:
        run_compare(store.backend)  # the merchant page's comparison (the shared world has no compare run)
        connection = store.connection
        analyst, _ = create_key(connection, role="analyst", actor="test", label="analyst")
        ingest, _ = create_key(connection, role="ingest", actor="test")
        revoked, record = create_key(connection, role="analyst", actor="test")
        revoke_key(connection, record.key_id, actor="test")
        admin, _ = create_key(connection, role="admin", actor="test", label="admin")
        apply_rules(connection, parse_rules(RULES, "rules.toml"), actor="test")
        merchant = connection.execute(
            "SELECT merchant_id FROM ring_groups ORDER BY score DESC, ring_id LIMIT 1"
        ).fetchall()[0][0]
        network = connection.execute(
            "SELECT network_id FROM pyramid_networks WHERE is_pyramid "
            "ORDER BY members DESC, network_id LIMIT 1"
        ).fetchall()[0][0]
        ring, ring_merchant = connection.execute(
            "SELECT ring_id, merchant_id FROM ring_groups WHERE merchant_id <> ? "
            "ORDER BY score DESC, ring_id LIMIT 1",
            [merchant],
        ).fetchall()[0]
        quiet = [
            row[0]
            for row in connection.execute(
                "SELECT merchant_id FROM merchants "
                "WHERE merchant_id NOT IN (SELECT merchant_id FROM ring_groups) ORDER BY merchant_id LIMIT 2"
            ).fetchall()
        ]
        member = connection.execute(
            "SELECT member_id FROM pyramid_members WHERE network_id = ? ORDER BY member_id LIMIT 1", [network]
        ).fetchall()[0][0]
        case, _ = open_case(
            connection, subject_kind="merchant", subject_id=merchant, actor="test", title="ring boosting"
        )
    return ConsoleWorld(
        db,
        analyst,
        ingest,
        revoked,
        case.case_id,
        merchant,
        network,
        admin,
        ring,
        ring_merchant,
        (quiet[0], quiet[1]),
        member,
    )


def private_values(connection_rows: list[tuple[object, ...]]) -> set[str]:
    return {str(v) for row in connection_rows for v in row if v is not None and str(v).strip()}


def serve(db: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """A real `sentinella serve` on a free loopback port, once it answers /health."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "sentinella.cli", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SENTINELLA_THREADS": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.communicate()[1].decode(errors='replace')}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not answer within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def artifacts() -> Path:
    """tests/artifacts/ (ignored by git): the browser tests' screenshots."""
    folder = Path(__file__).resolve().parents[1] / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder


class Needles:
    """Find any of many private values in a text fast: by their first three characters, then in full."""

    def __init__(self, values: set[str]) -> None:
        self.by_head: dict[str, list[str]] = {}
        self.short = {v for v in values if len(v) < 3}
        for value in values:
            if len(value) >= 3:
                self.by_head.setdefault(value[:3], []).append(value)

    def __len__(self) -> int:
        return len(self.short) + sum(len(v) for v in self.by_head.values())

    def found(self, text: str) -> list[str]:
        hits = [value for value in self.short if value in text]
        for i in range(len(text) - 2):
            for value in self.by_head.get(text[i : i + 3], ()):
                if text.startswith(value, i):
                    hits.append(value)
        return hits
