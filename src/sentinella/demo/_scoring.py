"""Found versus planted: each analysis scored against a synthetic world's ``truth/`` folder.

Scores are SQL joins between the store's result tables and the truth Parquet files, so the demo,
the tests and the benchmarks all judge detectors the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinella.contract import TABLES
from sentinella.engine import Backend


@dataclass(frozen=True)
class Score:
    """One line of the found-vs-planted table."""

    capability: str
    what: str
    planted: int
    found: int
    wrong: int  # flagged but not planted (or look-alikes flagged)
    note: str = ""

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0


def _truth(truth: Path, name: str) -> str:
    path = truth / f"{name}.parquet"
    return f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"


def _one(backend: Backend, sql: str) -> tuple[Any, ...]:
    table = backend.query(sql, step="score")
    return tuple(column[0].as_py() for column in table.columns)


def score_ingest(backend: Backend, truth: Path) -> list[Score]:
    """Planted bad rows against the quarantine, counted the way ingestion treats them: a row
    rejected (bad key or required value, conflicting duplicate) is found by a rejection at its
    file and row; a bad optional value is found by a field problem at its file, row and column
    with the row itself kept in the store."""
    if not (truth / "dirty_rows.parquet").exists():
        return []
    dirty = _truth(truth, "dirty_rows")
    quarantine = (
        "(SELECT DISTINCT file, row_number, column_name, coalesce(kind, 'invalid') AS kind "
        "FROM ingest_quarantine)"
    )
    planted, caught = _one(
        backend,
        f"SELECT count(*), count(q.file) FROM {dirty} d LEFT JOIN (SELECT DISTINCT file, row_number "
        f"FROM {quarantine} WHERE kind <> 'field') q "
        "ON q.file = d.file AND q.row_number = d.row_number WHERE d.effect = 'row'",
    )
    wrong = _one(
        backend,
        f"SELECT count(*) FROM (SELECT DISTINCT file, row_number FROM {quarantine} WHERE kind <> 'field') q "
        f"ANTI JOIN (SELECT * FROM {dirty} WHERE effect = 'row') d "
        "ON q.file = d.file AND q.row_number = d.row_number",
    )[0]
    spoiled = backend.query(f"SELECT DISTINCT \"table\" FROM {dirty} WHERE effect = 'field'", step="score")
    names = sorted(str(v) for v in spoiled.column(0).to_pylist() if v in TABLES)
    keys = (
        " UNION ALL ".join(
            f"SELECT '{name}' AS tbl, CAST({TABLES[name].key[0]} AS VARCHAR) AS id FROM {name}"
            for name in names
        )
        or "SELECT NULL AS tbl, NULL AS id"
    )
    fields_planted, fields_caught = _one(
        backend,
        f"SELECT count(*), count(*) FILTER (WHERE q.file IS NOT NULL AND k.id IS NOT NULL) FROM {dirty} d "
        f"LEFT JOIN (SELECT * FROM {quarantine} WHERE kind = 'field') q ON q.file = d.file "
        'AND q.row_number = d.row_number AND q.column_name = d."column" '
        f'LEFT JOIN (SELECT DISTINCT tbl, id FROM ({keys})) k ON k.tbl = d."table" AND k.id = d.row_id '
        "WHERE d.effect = 'field'",
    )
    fields_wrong = _one(
        backend,
        f"SELECT count(*) FROM (SELECT * FROM {quarantine} WHERE kind = 'field') q "
        f"ANTI JOIN (SELECT * FROM {dirty} WHERE effect = 'field') d ON q.file = d.file "
        'AND q.row_number = d.row_number AND q.column_name = d."column"',
    )[0]
    return [
        Score("ingest", "bad rows rejected with their row", planted, caught, wrong),
        Score(
            "ingest", "bad optional fields cleared, rows kept", fields_planted, fields_caught, fields_wrong
        ),
    ]


@dataclass(frozen=True)
class PyramidTally:
    """The pyramid counts every part of the demo prints, from one query, so they agree.

    ``planted`` = ``scored`` + ``silent``: a planted pyramid in which no fee and no commission
    was ever paid leaves no trace a detector could use, so it is reported and not scored.
    ``in_store`` = ``found`` + ``wrong``: every pyramid network in the store is either a planted
    one or a wrong one (look-alikes included).
    """

    planted: int
    silent: int
    scored: int
    found: int
    lookalikes: int
    lookalikes_flagged: int
    in_store: int
    wrong: int


def pyramid_tally(backend: Backend, truth: Path) -> PyramidTally | None:
    """Planted pyramid networks against the store's (None: no results or no truth)."""
    if not backend.table_exists("pyramid_networks") or not (truth / "pyramid_networks.parquet").exists():
        return None
    networks = _truth(truth, "pyramid_networks")
    planted, silent, found, lookalikes, flagged = _one(
        backend,
        "SELECT count(*) FILTER (WHERE NOT t.legit), count(*) FILTER (WHERE NOT t.legit AND t.silent), "
        "count(*) FILTER (WHERE NOT t.legit AND NOT t.silent AND n.is_pyramid), "
        "count(*) FILTER (WHERE t.legit), count(*) FILTER (WHERE t.legit AND n.is_pyramid) "
        "FROM (SELECT *, fees_total = 0 AND commissions_total = 0 AS silent "
        f"FROM {networks}) t LEFT JOIN pyramid_networks n ON n.network_id = t.root_member_id",
    )
    in_store, wrong = _one(
        backend,
        "SELECT count(*), count(*) FILTER (WHERE t.root_member_id IS NULL OR t.legit) "
        f"FROM pyramid_networks n LEFT JOIN {networks} t ON t.root_member_id = n.network_id "
        "WHERE n.is_pyramid",
    )
    return PyramidTally(
        int(planted),
        int(silent),
        int(planted) - int(silent),
        int(found),
        int(lookalikes),
        int(flagged),
        int(in_store),
        int(wrong),
    )


def score_pyramid(backend: Backend, truth: Path) -> list[Score]:
    tally = pyramid_tally(backend, truth)
    if tally is None:
        return []
    networks = _truth(truth, "pyramid_networks")
    members = _truth(truth, "pyramid_members")
    organizer_rule = "cn-2013-opinions-s1"
    planted, caught = _one(
        backend,
        f"SELECT count(*), count(f.subject_id) FROM {members} t "
        f"JOIN {networks} n ON n.network_id = t.network_id "
        f"LEFT JOIN (SELECT DISTINCT subject_id FROM pyramid_findings WHERE rule_id = '{organizer_rule}' "
        "AND subject_kind = 'member' AND result = 'met') f ON f.subject_id = t.member_id "
        "WHERE NOT n.legit AND (t.organizer OR t.organizer_merged)",
    )
    extra = _one(
        backend,
        f"SELECT count(*) FROM (SELECT DISTINCT subject_id FROM pyramid_findings WHERE rule_id = "
        f"'{organizer_rule}' AND subject_kind = 'member' AND result = 'met') f "
        f"LEFT JOIN {members} t ON t.member_id = f.subject_id "
        "WHERE NOT coalesce(t.organizer OR t.organizer_merged, FALSE)",
    )[0]
    lookalike_members = _one(
        backend,
        f"SELECT count(DISTINCT f.subject_id) FROM pyramid_findings f "
        f"JOIN {members} t ON t.member_id = f.subject_id "
        f"JOIN {networks} n ON n.network_id = t.network_id WHERE n.legit AND f.subject_kind = 'member' "
        "AND f.result = 'met' AND f.jurisdiction = 'cn' AND f.rule_id <> 'cn-direct-selling-art24'",
    )[0]
    return [
        Score(
            "pyramid",
            "pyramid networks",
            tally.scored,
            tally.found,
            tally.wrong,
            f"{tally.planted} planted"
            + (f", {tally.silent} without any fee or commission left out" if tally.silent else "")
            + f"; {tally.in_store} in the store; {tally.lookalikes} look-alikes, "
            + f"{tally.lookalikes_flagged} flagged",
        ),
        Score("pyramid", "organizers and leaders (§1)", planted, caught, extra + lookalike_members),
    ]


def score_all(backend: Backend, truth: Path) -> list[Score]:
    from ._scoring_compare import score_compare
    from ._scoring_credit import score_credit
    from ._scoring_provenance import score_provenance
    from ._scoring_rings import score_rings

    scores = [*score_ingest(backend, truth), *score_pyramid(backend, truth)]
    if backend.table_exists("ring_order_scores"):
        scores.extend(score_rings(backend, truth))
    if backend.table_exists("credit_merchants"):
        scores.extend(score_credit(backend, truth))
    if backend.table_exists("provenance_findings"):
        scores.extend(score_provenance(backend, truth))
    if backend.table_exists("product_clusters"):
        scores.extend(score_compare(backend, truth))
    return scores
