"""The report on one merchant: the credit card as a buyer sees it and why, the findings against
it with their evidence photos side by side, its prices against the market, and the brushing
rings that boosted it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sentinella.engine import Backend

from ._core import Report, ReportError, one, render, rows
from ._media import case_folder, thumbnails

FINDING_ROWS = 40
PHOTOS_PER_FINDING = 4
PRICE_ROWS = 20


def merchant_report(
    backend: Backend, merchant_id: str, *, store_path: str = "", case: Path | None = None, out_name: str = ""
) -> Report:
    """Everything the store knows against (and for) one merchant. ``case``: the case folder the
    media paths are relative to (default: the folder the media table was ingested from)."""
    if not backend.table_exists("merchants"):
        raise ReportError("no merchants in this store: ingest a case first")
    merchant = one(backend, "SELECT * FROM merchants WHERE merchant_id = ?", [merchant_id])
    if merchant is None:
        raise ReportError(f"no merchant {merchant_id!r} in the store")
    credit = (
        one(backend, "SELECT * FROM credit_merchants WHERE merchant_id = ?", [merchant_id])
        if backend.table_exists("credit_merchants")
        else None
    )
    risk = (
        one(
            backend,
            "SELECT * FROM risk_scores WHERE subject_kind = 'merchant' AND subject_id = ?",
            [merchant_id],
        )
        if backend.table_exists("risk_scores")
        else None
    )
    reasons: list[dict[str, Any]] = []
    if risk is not None:
        try:
            reasons = list(json.loads(risk["reasons"] or "[]"))
        except ValueError:
            reasons = []
    findings: list[dict[str, Any]] = []
    finding_total = 0
    if backend.table_exists("provenance_findings"):
        findings = rows(
            backend,
            "SELECT subject_kind, subject_id, kind, strength, figures, evidence_media, explanation "
            "FROM provenance_findings WHERE merchant_id = ? "
            f"ORDER BY strength = 'strong' DESC, kind, subject_id LIMIT {FINDING_ROWS}",
            [merchant_id],
        )
        total = one(
            backend, "SELECT count(*) AS n FROM provenance_findings WHERE merchant_id = ?", [merchant_id]
        )
        finding_total = int(total["n"]) if total else 0
    wanted: list[str] = []
    for finding in findings:
        media = list(finding["evidence_media"] or [])
        if finding["subject_kind"] == "media" and finding["subject_id"] not in media:
            media.insert(0, finding["subject_id"])
        finding["media"] = media[:PHOTOS_PER_FINDING]
        wanted.extend(finding["media"])
    pictures = thumbnails(backend, wanted, case_folder(backend, case))
    prices: list[dict[str, Any]] = []
    if backend.table_exists("product_prices") and backend.table_exists("product_clusters"):
        prices = rows(
            backend,
            "SELECT l.listing_id, l.title, l.price, l.currency, p.product_id, p.median_price, "
            "p.currency AS market_currency, p.merchants, p.p25_price, p.p75_price "
            "FROM listings l JOIN product_clusters c USING (listing_id) "
            "JOIN product_prices p USING (product_id) "
            "WHERE l.merchant_id = ? AND p.merchants > 1 AND p.median_price > 0 "
            "ORDER BY CASE WHEN l.currency = p.currency THEN l.price / p.median_price END NULLS LAST, "
            "l.listing_id "
            f"LIMIT {PRICE_ROWS}",
            [merchant_id],
        )
    rings = (
        rows(backend, "SELECT * FROM ring_groups WHERE merchant_id = ? ORDER BY score DESC", [merchant_id])
        if backend.table_exists("ring_groups")
        else []
    )
    db = store_path or "sentinella.duckdb"
    commands = [
        f"sentinella ingest CASE_FOLDER --db {db}",
        f"sentinella rings --db {db} && sentinella credit --db {db} && sentinella compare --db {db}",
        f"sentinella provenance --case CASE_FOLDER --db {db} && sentinella risk --db {db}",
        f"sentinella report merchant {merchant_id} --db {db} --out {out_name or 'merchant.html'}",
    ]
    title = f"Merchant report — {merchant_id}"
    html = render(
        "merchant.html",
        title=title,
        merchant=merchant,
        credit=credit,
        risk=risk,
        reasons=reasons,
        findings=findings,
        finding_total=finding_total,
        pictures=pictures,
        prices=prices,
        rings=rings,
        commands=commands,
        store_path=store_path,
    )
    return Report("merchant", merchant_id, title, html)
