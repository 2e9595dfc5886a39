"""The pyramid evidence report: what it says follows the result, it stays bounded on a deep
chain, it carries the law's words and opens offline, and it prints to PDF."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pyramid_cases import Case, layered
from report_helpers import CSS_URL, EXTERNAL, figures, table_rows, visible_text

from sentinella.pyramid import run_pyramid
from sentinella.report import ReportError, pyramid_report, write_report
from sentinella.report._legal_texts import extract, legal_texts
from sentinella.store import Store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pyramid_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A ¥680-fee pyramid of 34 accounts, 33 people over 4 levels: one person holds the two accounts at the
    top (same ID number), and a free referral program with one level of bonuses beside it."""
    case = Case().add(layered("x", [1, 3, 9, 6])).add(layered("y", [1, 2, 12]))
    case.id_numbers = {"x0_0": "ID-1", "y0_0": "ID-1"}
    for member, sponsor in list(case.sponsors.items()):
        if sponsor:
            case.pay(member, sponsor, 680, "entry_fee")
    case.add(layered("r", [1, 25]))
    for i in range(25):
        case.pay("r0_0", f"r1_{i}", 15.5, "bonus", "recruitment", "1")
    case.pay("x0_0", "x1_0", "1866181.492", "commission", "recruitment", "1")
    folder = tmp_path_factory.mktemp("pyramid")
    store = case.store(folder)
    run_pyramid(store.backend)
    return store


def test_a_pyramid_is_titled_and_counted_by_persons(pyramid_store: Store) -> None:
    report = pyramid_report(pyramid_store.backend, "x0_0")
    html = report.html
    assert report.title.startswith("Pyramid-selling evidence report")
    assert "<h1>Pyramid-selling evidence report</h1>" in html
    # two top accounts of one person: one network, 33 people, 34 accounts
    assert figures(html) == {"persons": 33, "accounts": 34, "levels": 4, "organizers": 1}
    assert "x0_0, y0_0" in html  # the person's accounts listed together
    net = pyramid_store.connection.execute("SELECT count(*) FROM pyramid_networks").fetchone()
    assert net == (2,)  # the pyramid and the referral program


def test_money_has_its_currency_and_no_raw_floats(pyramid_store: Store) -> None:
    text = visible_text(pyramid_report(pyramid_store.backend, "x0_0").html)
    assert "CNY 1,866,181.49" in text  # the commission, rounded to cents with separators
    assert "1866181.492" not in text and "1866181.4920" not in text
    assert not re.search(r"\b\d{4,}\.\d{3,}\b", text), re.search(r"\b\d{4,}\.\d{3,}\b", text)


def test_the_legal_tests_quote_their_text(pyramid_store: Store) -> None:
    html = pyramid_report(pyramid_store.backend, "x0_0").html
    s1 = legal_texts()["cn-2013-opinions-s1"]
    quote = next(block["text"] for block in s1["text"] if block["kind"] == "quote")
    assert quote.splitlines()[2] in html  # §1 ¶2: several organizations of one person add up
    assert "docs/legal.md" in html and s1["heading"] in html
    for rule in ("cn-2005-regulations-art7", "us-ftc-koscot", "eu-ucpd-annex1-14"):
        assert rule in html
        assert legal_texts()[rule]["heading"] in html
    # how to reproduce it, with the profiles of the run
    assert "sentinella pyramid --db sentinella.duckdb --profile cn --profile us --profile eu" in html
    assert "sentinella report pyramid x0_0" in html


def test_a_network_that_is_no_pyramid_is_reported_as_such(pyramid_store: Store) -> None:
    report = pyramid_report(pyramid_store.backend, "r0_0")
    assert report.title.startswith("Network report")
    assert "Pyramid-selling evidence report" not in report.html
    assert "Not pyramid selling" in report.html


def test_the_report_opens_offline(pyramid_store: Store) -> None:
    html = pyramid_report(pyramid_store.backend, "x0_0").html
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert not CSS_URL.search(html)
    assert "<svg" in html and "<script src" not in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(h.endswith(".csv") and "/" not in h for h in hrefs)  # files beside it


def test_a_400_level_chain_is_summarised(tmp_path: Path) -> None:
    chain = {f"c{i}": (f"c{i - 1}" if i else None) for i in range(400)}
    store = Case(fee=100).add(chain).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    organizers = store.connection.execute(
        "SELECT count(*) FROM pyramid_findings WHERE rule_id = 'cn-2013-opinions-s1' "
        "AND subject_kind = 'member' AND result = 'met'"
    ).fetchone()
    assert organizers == (371,)  # everyone with ≥ 30 people below and around them
    report = pyramid_report(store.backend, "c0", stem="chain")
    html = report.html
    level_table = html.split("<h2>Money and people per level</h2>")[1].split("</table>")[0]
    assert len(re.findall(r"<tr>", level_table)) - 1 <= 20
    assert "1–20" in level_table and "381–400" in level_table
    organizer_table = html.split("<h2>People meeting the §1 numbers</h2>")[1].split("</table>")[0]
    assert len(re.findall(r"<tr>", organizer_table)) - 1 == 10
    assert "and 361 more people" in html and "chain-organizers.csv" in html
    assert table_rows(html, "members") == 200
    assert html.count("<rect") <= 14 * 8  # the picture: level ranges, not 400 rows
    written = write_report(report, tmp_path / "out" / "chain.html")
    assert [p.name for p in written] == ["chain.html", "chain-members.csv", "chain-organizers.csv"]
    with (tmp_path / "out" / "chain-members.csv").open() as handle:
        listed = list(csv.DictReader(handle))
    assert len(listed) == 400 and listed[1]["sponsor_id"] == "c0"
    with (tmp_path / "out" / "chain-organizers.csv").open() as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 371


def test_the_pdf_renders(pyramid_store: Store, tmp_path: Path) -> None:
    import pypdfium2

    report = pyramid_report(pyramid_store.backend, "x0_0")
    out = tmp_path / "network.pdf"
    write_report(report, out)
    assert out.read_bytes().startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(str(out))
    assert len(pdf) >= 2
    pixels = np.asarray(pdf[0].render(scale=1).to_pil().convert("L"), dtype=np.float64)
    assert pixels.shape[0] > 500 and pixels.shape[1] > 400  # A4 at 72 dpi: 842 x 595
    variance = float(pixels.var())
    assert variance > 200, variance  # a blank page is 0; text and tables give thousands
    dark = float((pixels < 128).mean())
    assert 0.005 < dark < 0.5, dark
    pdf.close()


def test_unknown_network_and_wrong_output(pyramid_store: Store, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no network 'zz'; the largest are: x0_0"):
        pyramid_report(pyramid_store.backend, "zz")
    report = pyramid_report(pyramid_store.backend, "x0_0")
    with pytest.raises(ReportError, match=r"\.html or \.pdf"):
        write_report(report, tmp_path / "report.docx")


def test_shipped_quotes_are_the_legal_page(tmp_path: Path) -> None:
    page = extract((ROOT / "docs" / "legal.md").read_text(encoding="utf-8"))
    assert page == legal_texts(), "run: python -m sentinella.report._legal_texts docs/legal.md"
    assert {"cn-2013-opinions-s1", "us-ftc-koscot", "eu-ucpd-annex1-14"} <= set(page)


def test_cli_writes_html_and_csv(pyramid_store: Store, tmp_path: Path) -> None:
    db = tmp_path / "case.duckdb"
    pyramid_store.connection.execute(f"ATTACH '{db}' AS copy")
    pyramid_store.connection.execute("COPY FROM DATABASE memory TO copy")
    pyramid_store.connection.execute("DETACH copy")
    command = [sys.executable, "-m", "sentinella.cli"]
    done = subprocess.run(
        [*command, "report", "pyramid", "x0_0", "--db", str(db), "--out", str(tmp_path / "n.html")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "n.html").exists() and (tmp_path / "n-members.csv").exists()
    missing = subprocess.run(
        [*command, "report", "pyramid", "nobody", "--db", str(db), "--out", str(tmp_path / "x.html")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == ["error: no network 'nobody'; the largest are: x0_0, r0_0"]


def test_hostile_ids_are_text_in_the_page_and_the_csv(tmp_path: Path) -> None:
    top = "<script>alert(1)</script>"
    sponsors: dict[str, str | None] = {top: None, "=HYPERLINK(1)": top}
    sponsors.update({f"m{i}": "=HYPERLINK(1)" for i in range(3)})
    store = Case(fee=10).add(sponsors).store(tmp_path)
    run_pyramid(store.backend, profiles=["cn"])
    report = pyramid_report(store.backend, top, stem="hostile")
    assert top not in report.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in report.html
    write_report(report, tmp_path / "out" / "hostile.html")
    with (tmp_path / "out" / "hostile-members.csv").open() as handle:
        rows = {row["member_id"]: row for row in csv.DictReader(handle)}
    assert "'=HYPERLINK(1)" in rows and rows["m0"]["sponsor_id"] == "'=HYPERLINK(1)"
