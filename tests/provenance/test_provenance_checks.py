"""Each check on a small hand-made case, with the honest look-alike it must leave alone; the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from sentinella.cli import app
from sentinella.provenance import MissingTableError, ProvenanceConfig, run_provenance
from sentinella.store import Store, ingest_case
from sentinella.synth._images import ExifSpec, encode_jpeg, render_street

MILAN, GUANGZHOU = (45.4642, 9.19), (23.1291, 113.2644)
T0 = datetime(2025, 3, 1, 10, 0)


def _phone(when: datetime, offset: float, gps: tuple[float, float] | None, **kw: object) -> ExifSpec:
    return ExifSpec("Apple", "iPhone 14", when + timedelta(hours=offset), offset, gps=gps, **kw)  # type: ignore[arg-type]


def _case(root: Path) -> Path:
    media = root / "media"
    media.mkdir(parents=True)
    shop = render_street(1, 1, "BOUTIQUE")
    copy = shop.crop((6, 4, 394, 296)).resize((330, 250)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    pictures = {
        "own.jpg": encode_jpeg(shop, _phone(T0, 8, (23.2, 113.3))),
        "copy.jpg": encode_jpeg(copy, None, 70),
        "trip.jpg": encode_jpeg(render_street(2, 2, "MILANO"), _phone(T0, 1, MILAN)),
        "spoof.jpg": encode_jpeg(render_street(3, 3, "MILANO"), _phone(T0, 1, GUANGZHOU)),
        "edited.jpg": encode_jpeg(
            render_street(4, 4, "PARIS"),
            _phone(
                T0 + timedelta(hours=10), 1, MILAN, software="Adobe Photoshop 25.4 (Windows)", gps_time=T0
            ),
        ),
        "stripped.jpg": encode_jpeg(render_street(5, 5, "MILANO"), None),
        "filter.jpg": encode_jpeg(render_street(6, 6, "SHOP"), _phone(T0, 8, None, software="Meitu")),
    }
    for name, data in pictures.items():
        (media / name).write_bytes(data)
    (root / "members.csv").write_text("member_id\n" + "".join(f"M{k}\n" for k in range(1, 8)))
    (root / "merchants.csv").write_text(
        "merchant_id,member_id,name\n" + "".join(f"S{k},M{k},shop {k}\n" for k in range(1, 8))
    )
    (root / "listings.csv").write_text(
        "listing_id,merchant_id,title,price,currency,brand,gtin\n"
        "L1,S1,Apex Dash sneakers AX-5759S,1000,CNY,Apex Dash,\n"
        "L2,S2,APEX DASH AX 5759S 1:1,300,CNY,,\n"
        "L3,S3,Apex Dash ax5759s white,1050,CNY,Apex Dash,\n"
        "L5,S5,Apex Dash AX-5759S new,140,EUR,Apex Dash,\n"
        "L6,S6,Clearance Apex Dash AX-5759S,450,CNY,Apex Dash,\n"
        "L7,S7,Plain socks ZZ-1111,5,CNY,,\n"
        "L8,S1,Plain socks ZZ-1111,50,CNY,,\n"
        "L9,S3,Plain socks ZZ-1111,50,CNY,,\n"
        "L10,S5,Plain socks ZZ-1111,50,CNY,,\n"
    )
    stamp = T0.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    later = (T0 + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    (root / "posts.csv").write_text(
        "post_id,member_id,posted_at,text,claimed_place\n"
        f"P3,M3,{stamp},Shopping in Milano today,Milano\n"
        f"P4,M4,{stamp},Shopping in Milano today,Milano\n"
        f"P5,M4,{later},Back in the warehouse,广州\n"
        f"P6,M6,{stamp},Paris boutique,Milano\n"
        f"P7,M7,{stamp},Milano outlet,Milano\n"
    )
    rows = [
        ("I1", "media/own.jpg", "M1", "listing", "L1"),
        ("I2", "media/copy.jpg", "M2", "listing", "L2"),
        ("I3", "media/trip.jpg", "M3", "origin", "P3"),
        ("I4", "media/spoof.jpg", "M4", "origin", "P4"),
        ("I6", "media/edited.jpg", "M6", "origin", "P6"),
        ("I7", "media/stripped.jpg", "M7", "origin", "P7"),
        ("I8", "media/filter.jpg", "M5", "listing", "L5"),
        ("I9", "media/../../outside.jpg", "M5", "listing", "L5"),
        ("I10", "media/gone.jpg", "M5", "listing", "L5"),
    ]
    (root / "media.csv").write_text(
        "media_id,path,owner_id,context,ref_id,uploaded_at\n"
        + "".join(f"{m},{p},{o},{c},{r},{stamp}\n" for m, p, o, c, r in rows)
    )
    return root


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    case = _case(tmp_path_factory.mktemp("checks") / "case")
    with Store.open(":memory:") as store:
        ingest_case(store, case)
        summary = run_provenance(store.backend, case, config=ProvenanceConfig(workers=1))
        assert summary.statuses == {"missing": 1, "ok": 7, "outside_case": 1}
        rows = store.connection.execute(
            "SELECT kind, subject_id, figures FROM provenance_findings"
        ).fetchall()
        exif = dict(store.connection.execute("SELECT media_id, gps_lat FROM media_exif").fetchall())
    assert exif["I3"] == pytest.approx(MILAN[0], abs=1e-4) and exif["I7"] is None
    out: dict[str, set[str]] = {}
    for kind, subject, figures in rows:
        out.setdefault(kind, set()).add(subject)
        json.loads(figures)  # every finding carries its figures as JSON
    return out


def test_a_copied_photo_is_attributed_to_the_copier(findings: dict[str, set[str]]) -> None:
    assert findings["copied_photo"] == {"I2"}  # mirrored, cropped, resized, recompressed


def test_gps_far_from_the_claim(findings: dict[str, set[str]]) -> None:
    assert findings["gps_far_from_claim"] == {"I4"}  # not the real trip, not the stripped photo


def test_an_edited_origin_photo(findings: dict[str, set[str]]) -> None:
    assert findings["editing_software"] == {"I6"}  # Photoshop; Meitu on I8 is not an editor
    assert findings["capture_gps_time_mismatch"] == {"I6"}


def test_impossible_travel(findings: dict[str, set[str]]) -> None:
    assert findings["impossible_travel"] == {"P5"}  # Milan, then Guangzhou 2 h later


def test_price_far_below_the_market(findings: dict[str, set[str]]) -> None:
    # L2: 300 vs a median near 1000; L6 says clearance (held to 25%); L7 is not a branded item.
    assert findings["price_far_below"] == {"L2"}


def test_nothing_else_is_flagged(findings: dict[str, set[str]]) -> None:
    flagged = set().union(*findings.values())
    assert flagged == {"I2", "I4", "I6", "P5", "L2"}


def test_cli(tmp_path: Path) -> None:
    case = _case(tmp_path / "case")
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest_case(store, case)
    runner = CliRunner()
    result = runner.invoke(app, ["provenance", "--db", str(db), "--case", str(case), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "merchants with findings" in result.output and "provenance_findings" in result.output
    missing = runner.invoke(app, ["provenance", "--db", str(db), "--case", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_a_store_without_media(tmp_path: Path) -> None:
    with Store.open(":memory:") as store, pytest.raises(MissingTableError, match="media table"):
        run_provenance(store.backend, tmp_path)
