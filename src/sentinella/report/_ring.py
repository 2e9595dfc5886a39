"""The report on one brushing ring: its accounts, the shop it boosted, its orders on a timeline
(accounts as rows: orders placed together line up), and the evidence line by line."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from sentinella.engine import Backend

from ._core import Report, ReportError, csv_attachment, literal, one, render, rows

ACCOUNT_ROWS = 40
"""Accounts drawn on the timeline and listed; the CSV beside the report has every order."""
ORDER_ROWS = 100


def timeline_svg(accounts: list[str], orders: list[dict[str, Any]], title: str) -> str:
    """Orders as dots, one row per account, time left to right; ring orders red, others grey."""
    if not orders or not accounts:
        return ""
    times = [o["placed_at"] for o in orders if o["placed_at"] is not None]
    if not times:
        return ""
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    left, width, row = 110, 720, 14
    height = 40 + row * len(accounts)
    position = {a: i for i, a in enumerate(accounts)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 20} {height}" width="100%" '
        f'class="timeline" role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14" font-size="10">{start:%Y-%m-%d}</text>',
        f'<text x="{left + width}" y="14" font-size="10" text-anchor="end">{end:%Y-%m-%d}</text>',
    ]
    for account, number in position.items():
        y = 30 + row * number
        parts.append(
            f'<text x="{left - 6}" y="{y + 4}" font-size="9" text-anchor="end">{escape(account)}</text>'
        )
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" stroke="#eee"/>')
    for order in orders:
        i = position.get(str(order["buyer_id"]))
        if i is None or order["placed_at"] is None:
            continue
        x = left + width * (order["placed_at"] - start).total_seconds() / span
        colour = "#c0392b" if order["in_ring"] else "#9aa5b1"
        parts.append(f'<circle cx="{x:.1f}" cy="{30 + row * i}" r="3" fill="{colour}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def ring_report(
    backend: Backend, ring_id: str, *, store_path: str = "", stem: str = "", out_name: str = ""
) -> Report:
    """One ring: accounts, shop, orders on a timeline, evidence; every order in a CSV beside it."""
    if not backend.table_exists("ring_groups"):
        raise ReportError("no ring results in this store: run `sentinella rings --db FILE` first")
    ring = one(backend, "SELECT * FROM ring_groups WHERE ring_id = ?", [ring_id])
    if ring is None:
        top = rows(backend, "SELECT ring_id FROM ring_groups ORDER BY score DESC LIMIT 5")
        hint = ", ".join(r["ring_id"] for r in top) or "none"
        raise ReportError(f"no ring {ring_id!r}; the strongest are: {hint}")
    stem = stem or f"ring-{ring_id}"
    accounts = rows(
        backend,
        f"SELECT * FROM ring_members WHERE ring_id = ? ORDER BY score DESC, member_id LIMIT {ACCOUNT_ROWS}",
        [ring_id],
    )
    account_total = int(ring["members"])
    merchant = one(backend, "SELECT * FROM merchants WHERE merchant_id = ?", [ring["merchant_id"]])
    credit = (
        one(backend, "SELECT * FROM credit_merchants WHERE merchant_id = ?", [ring["merchant_id"]])
        if backend.table_exists("credit_merchants")
        else None
    )
    shown = [str(a["member_id"]) for a in accounts]
    # every order these accounts placed at the shop, flagged or not, with the ring's own in red
    orders = rows(
        backend,
        "SELECT o.order_id, o.buyer_id, o.placed_at, o.amount, o.currency, o.status, s.score, "
        "coalesce(s.ring_id = ?, FALSE) AS in_ring, s.reasons "
        "FROM orders o LEFT JOIN ring_order_scores s USING (order_id) "
        "WHERE o.merchant_id = ? AND o.buyer_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY o.placed_at, o.order_id",
        [ring_id, ring["merchant_id"], shown],
    )
    select = (
        "SELECT o.order_id, o.buyer_id, o.merchant_id, o.placed_at, o.amount, o.currency, o.status, s.score, "
        "s.flagged, s.reasons FROM ring_order_scores s JOIN orders o USING (order_id) "
        f"WHERE s.ring_id = {literal(ring_id)} ORDER BY o.placed_at, o.order_id"
    )
    attachments = [
        csv_attachment(backend, f"{stem}-orders.csv", select, ("order_id", "buyer_id", "merchant_id"))
    ]
    db = store_path or "sentinella.duckdb"
    commands = [
        f"sentinella ingest CASE_FOLDER --db {db}",
        f"sentinella rings --db {db}",
        f"sentinella report ring {ring_id} --db {db} --out {out_name or 'ring.html'}",
    ]
    first, last = ring["first_order_at"], ring["last_order_at"]
    days = (
        (last - first).days + 1 if isinstance(first, dt.datetime) and isinstance(last, dt.datetime) else None
    )
    title = f"Brushing ring report — {ring_id}"
    html = render(
        "ring.html",
        title=title,
        ring=ring,
        days=days,
        evidence=[part.strip() for part in str(ring["evidence"] or "").split(";") if part.strip()],
        accounts=accounts,
        account_total=account_total,
        merchant=merchant,
        credit=credit,
        timeline=timeline_svg(shown, orders, f"orders of ring {ring_id}'s accounts at {ring['merchant_id']}"),
        orders=[o for o in orders if o["in_ring"]][:ORDER_ROWS],
        order_total=int(ring["orders"]),
        stem=stem,
        commands=commands,
        store_path=store_path,
    )
    return Report("ring", ring_id, title, html, attachments)
