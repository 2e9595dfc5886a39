"""Case outcomes as labels: what analysts decided, fed back to the supervised analyses.

``actioned`` means confirmed bad (label 1), ``dismissed`` means confirmed honest (label 0);
open cases say nothing yet. ``by="order"`` writes the CSV ``order_id,label`` that
``sentinella rings --labels`` reads: every order a member with a closed case placed as a
buyer takes the case's label. ``by="member"`` and ``by="merchant"`` write the subjects
themselves (``member_id,label`` / ``merchant_id,label``). When a subject has several closed
cases, the latest closed one decides.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ._errors import CaseError

BY = ("order", "member", "merchant")


def _latest(kind: str) -> str:
    return (
        "SELECT subject_id, arg_max(CASE status WHEN 'actioned' THEN 1 ELSE 0 END, closed_at) AS label "
        f"FROM cases WHERE subject_kind = '{kind}' AND status IN ('actioned', 'dismissed') "
        "GROUP BY subject_id"
    )


def export_labels(connection: duckdb.DuckDBPyConnection, out: Path, *, by: str = "order") -> int:
    """Write the labels CSV; returns how many rows were written."""
    if by not in BY:
        raise CaseError(f"by: must be one of {', '.join(BY)}, not {by!r}")
    exists = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cases'"
    ).fetchall()[0][0]
    if by == "order":
        sql = (
            f"SELECT o.order_id, l.label FROM ({_latest('member')}) l "
            "JOIN orders o ON o.buyer_id = l.subject_id "
            "ORDER BY o.order_id"
        )
        header = "order_id,label"
    else:
        sql = f"SELECT subject_id AS {by}_id, label FROM ({_latest(by)}) ORDER BY subject_id"
        header = f"{by}_id,label"
    rows = connection.execute(sql).fetchall() if exists else []
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\n")
        for key, label in rows:
            text = str(key)
            if any(ch in text for ch in ',"\n\r'):
                text = '"' + text.replace('"', '""') + '"'
            handle.write(f"{text},{int(label)}\n")
    return len(rows)
