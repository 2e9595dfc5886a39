"""Merchant and ring reports: the credit card with its reasons, evidence photos side by side
(embedded, and only photos provenance decoded inside the case folder), rings on a timeline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from report_helpers import EXTERNAL

from sentinella.demo import DemoResult
from sentinella.report import ReportError, merchant_report, ring_report, write_report
from sentinella.store import Store


def _picture(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (640, 480), colour)
    for x in range(0, 640, 40):
        for y in range(x % 80, 480, 80):
            image.putpixel((x, y), (255, 255, 255))
    image.save(path, "JPEG")


@pytest.fixture
def photo_store(tmp_path: Path) -> tuple[Store, Path]:
    """A merchant with a copied photo (the source and the copy) and three photos the report must
    not open: one outside the case folder, one provenance refused, one missing."""
    case = tmp_path / "case"
    _picture(case / "media" / "a.jpg", (200, 30, 30))
    _picture(case / "media" / "b.jpg", (200, 40, 30))
    _picture(tmp_path / "outside.jpg", (0, 200, 0))
    _picture(case / "media" / "refused.jpg", (0, 0, 200))
    store = Store.open(":memory:")
    c = store.connection
    c.execute(
        "INSERT INTO merchants (merchant_id, member_id, name, category) "
        "VALUES ('S1', 'M1', '小店 Shop', 'bags'), ('S2', 'M2', 'Source', 'bags')"
    )
    c.execute(
        "INSERT INTO media (media_id, path, owner_id) VALUES ('IMG-A', 'media/a.jpg', 'M2'), "
        "('IMG-B', 'media/b.jpg', 'M1'), "
        "('IMG-OUT', '../outside.jpg', 'M1'), ('IMG-REF', 'media/refused.jpg', 'M1'), "
        "('IMG-GONE', 'media/gone.jpg', 'M1')"
    )
    c.execute("CREATE TABLE media_hashes (media_id VARCHAR, status VARCHAR)")
    c.execute(
        "INSERT INTO media_hashes VALUES ('IMG-A', 'ok'), ('IMG-B', 'ok'), ('IMG-OUT', 'ok'), "
        "('IMG-REF', 'too_many_pixels'), ('IMG-GONE', 'ok')"
    )
    c.execute(
        "CREATE TABLE provenance_findings (subject_kind VARCHAR, subject_id VARCHAR, merchant_id VARCHAR, "
        "member_id VARCHAR, kind VARCHAR, strength VARCHAR, figures VARCHAR, evidence_media VARCHAR[], "
        "explanation VARCHAR)"
    )
    c.execute(
        "INSERT INTO provenance_findings VALUES "
        "('media', 'IMG-B', 'S1', 'M1', 'copied_photo', 'strong', '{}', ['IMG-A', 'IMG-B'], "
        "'a near-copy of IMG-A, a photo of S2'), "
        "('media', 'IMG-OUT', 'S1', 'M1', 'edited_exif', 'weak', '{}', ['IMG-OUT', 'IMG-REF', 'IMG-GONE'], "
        "'edited with 12345.6789 CNY of software')"
    )
    return store, case


def test_merchant_report_shows_evidence_photos_side_by_side(photo_store: tuple[Store, Path]) -> None:
    store, case = photo_store
    html = merchant_report(store.backend, "S1", case=case).html
    images = re.findall(r'<img src="(data:image/jpeg;base64,[A-Za-z0-9+/=]+)" alt="photo ([^"]+)"', html)
    assert [name for _, name in images] == ["IMG-A", "IMG-B"]  # as provenance lists its evidence
    first = html.index('alt="photo IMG-B"')
    assert html.rfind('<div class="photos">', 0, first) > html.rfind("</div>", 0, first)  # one row
    for refused in ("IMG-OUT", "IMG-REF", "IMG-GONE"):
        assert f"<figcaption>{refused}</figcaption>" in html
        assert f'alt="photo {refused}"' not in html
    assert "CNY 12,345.68" in html  # amounts in sentences get the money format
    assert "小店 Shop" in html and not EXTERNAL.search(html)
    assert "Credit has not been computed" in html  # said, not left blank


def test_merchant_report_unknown_merchant(photo_store: tuple[Store, Path]) -> None:
    store, _ = photo_store
    with pytest.raises(ReportError, match="no merchant 'S9'"):
        merchant_report(store.backend, "S9")


def test_merchant_report_of_the_demo_has_its_credit_card(demo: DemoResult) -> None:
    with Store.open(demo.out / "sentinella.duckdb", read_only=True) as store:
        (merchant, symbol, points, explanation) = store.connection.execute(
            "SELECT r.subject_id, c.level_symbol, c.points, c.explanation FROM risk_scores r "
            "JOIN credit_merchants c ON c.merchant_id = r.subject_id WHERE r.subject_kind = 'merchant' "
            "ORDER BY r.score DESC, r.subject_id LIMIT 1"
        ).fetchone() or (None, None, None, None)
        html = merchant_report(store.backend, str(merchant)).html
    assert f"{symbol} <strong>" in html and f"{points:,} points" in html
    assert str(explanation).split(":")[0] in html
    assert "<h2>Risk score" in html


def test_ring_report_puts_the_rings_orders_on_a_timeline(demo: DemoResult, tmp_path: Path) -> None:
    with Store.open(demo.out / "sentinella.duckdb", read_only=True) as store:
        ring_id, members, orders = store.connection.execute(
            "SELECT ring_id, members, orders FROM ring_groups ORDER BY score DESC LIMIT 1"
        ).fetchone() or (None, 0, 0)
        report = ring_report(store.backend, str(ring_id), stem="ring")
        written = write_report(report, tmp_path / "ring.html")
        with pytest.raises(ReportError, match="no ring 'R-none'"):
            ring_report(store.backend, "R-none")
    html = report.html
    assert f"{members} accounts placed {orders} orders" in html and not EXTERNAL.search(html)
    svg = html.split('class="timeline"')[1].split("</svg>")[0]
    assert svg.count('fill="#c0392b"') == orders  # every ring order is a red dot
    assert len(re.findall(r'font-size="9" text-anchor="end"', svg)) == min(members, 40)  # account rows
    assert [p.name for p in written] == ["ring.html", "ring-orders.csv"]
    lines = (tmp_path / "ring-orders.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == orders + 1
