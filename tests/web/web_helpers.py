"""A console world for the web tests: the analysed world's store with keys, rules applied, a case."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sentinella.api import create_key, revoke_key
from sentinella.cases import open_case
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


PRIVATE_COLUMNS = ("name", "phone", "id_number", "device_id", "bank_account")


def console_world(world: World, target: Path) -> ConsoleWorld:
    db = analysed_copy(world, target)
    with Store.open(db) as store:
        connection = store.connection
        analyst, _ = create_key(connection, role="analyst", actor="test", label="analyst")
        ingest, _ = create_key(connection, role="ingest", actor="test")
        revoked, record = create_key(connection, role="analyst", actor="test")
        revoke_key(connection, record.key_id, actor="test")
        apply_rules(connection, parse_rules(RULES, "rules.toml"), actor="test")
        merchant = connection.execute(
            "SELECT merchant_id FROM ring_groups ORDER BY score DESC, ring_id LIMIT 1"
        ).fetchall()[0][0]
        network = connection.execute(
            "SELECT network_id FROM pyramid_networks WHERE is_pyramid "
            "ORDER BY members DESC, network_id LIMIT 1"
        ).fetchall()[0][0]
        case, _ = open_case(
            connection, subject_kind="merchant", subject_id=merchant, actor="test", title="ring boosting"
        )
    return ConsoleWorld(db, analyst, ingest, revoked, case.case_id, merchant, network)


def private_values(connection_rows: list[tuple[object, ...]]) -> set[str]:
    return {str(v) for row in connection_rows for v in row if v is not None and str(v).strip()}
