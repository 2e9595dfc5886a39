"""The case folder itself: schemas, determinism, chunking, formats, dirty rows, truth files."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from synth_world import World

import sentinella.synth as synth
from sentinella.contract import ORDER_STATUSES, PAYMENT_KINDS, TABLES
from sentinella.synth import WORLD_PROFILES, generate_world
from sentinella.synth._config import resolve_profile


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_public_api_is_deliberate() -> None:
    assert synth.__all__ == sorted(synth.__all__)
    public = {n for n in dir(synth) if not n.startswith("_") and n != "annotations"}
    assert public == set(synth.__all__)
    assert {"default", "pyramid-case", "tiny"} <= set(WORLD_PROFILES)


def test_every_table_has_the_contract_schema(tiny: World, default_world: World) -> None:
    for world in (tiny, default_world):
        for name in TABLES:
            path = world.path / f"{name}.parquet"
            assert path.exists(), name
            assert pq.read_schema(path).remove_metadata() == TABLES[name].arrow_schema(), name


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = generate_world(tmp_path / "a", members=1200, seed=3, profile="tiny", media=False, dirty_rate=0.02)
    b = generate_world(tmp_path / "b", members=1200, seed=3, profile="tiny", media=False, dirty_rate=0.02)
    generate_world(tmp_path / "c", members=1200, seed=4, profile="tiny", media=False, dirty_rate=0.02)
    assert a.rows == b.rows
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_same_seed_same_bytes_when_chunked(tmp_path: Path) -> None:
    kw = {"members": 1800, "seed": 3, "profile": "default", "media": False, "dirty_rate": 0.02}
    generate_world(tmp_path / "a", **kw, overrides={"chunk_members": 600})  # type: ignore[arg-type]
    generate_world(tmp_path / "b", **kw, overrides={"chunk_members": 600})  # type: ignore[arg-type]
    digest = _digest(tmp_path / "a")
    assert any(name.startswith("orders/part-00002") for name in digest)
    assert digest == _digest(tmp_path / "b")


def test_chunked_world_is_consistent(tmp_path: Path) -> None:
    summary = generate_world(
        tmp_path, members=4500, seed=9, profile="tiny", media=False, overrides={"chunk_members": 1500}
    )
    assert summary.chunks == 3
    assert sorted(p.name for p in (tmp_path / "orders").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    w = World(summary)
    for table, key in (
        ("members", "member_id"),
        ("merchants", "merchant_id"),
        ("listings", "listing_id"),
        ("orders", "order_id"),
        ("reviews", "review_id"),
        ("payments", "payment_id"),
    ):
        assert w.one(f"SELECT count(*) - count(DISTINCT {key}) FROM {table}") == 0, table
    assert w.one("SELECT count(*) FROM members") == 4500
    unknown = w.one(
        "SELECT count(*) FROM members m WHERE sponsor_id IS NOT NULL"
        " AND sponsor_id NOT IN (SELECT member_id FROM members)"
    )
    assert unknown == w.one("SELECT count(*) FROM truth_recruitment_flaws WHERE kind = 'unknown_sponsor'")
    for sql in (
        "SELECT count(*) FROM orders WHERE buyer_id NOT IN (SELECT member_id FROM members)",
        "SELECT count(*) FROM orders WHERE merchant_id NOT IN (SELECT merchant_id FROM merchants)",
        "SELECT count(*) FROM reviews WHERE order_id NOT IN (SELECT order_id FROM orders)",
        "SELECT count(*) FROM payments WHERE payee_id NOT IN (SELECT member_id FROM members)",
        "SELECT count(*) FROM truth_pyramid_members WHERE member_id NOT IN (SELECT member_id FROM members)",
        "SELECT count(*) FROM truth_ring_orders WHERE order_id NOT IN (SELECT order_id FROM orders)",
    ):
        assert w.one(sql) == 0, sql
    # planted things in later chunks too, each chunk self-contained
    assert w.one("SELECT count(DISTINCT network_id) FROM truth_pyramid_networks") >= 11


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_text_formats_hold_the_same_world(tmp_path: Path, fmt: str) -> None:
    ref = World(generate_world(tmp_path / "p", members=1000, seed=2, profile="tiny", media=False))
    other = World(generate_world(tmp_path / fmt, members=1000, seed=2, profile="tiny", media=False, fmt=fmt))  # type: ignore[arg-type]
    assert (tmp_path / fmt / f"orders.{fmt}").exists()
    for name, key in (("members", "member_id"), ("orders", "order_id"), ("payments", "payment_id")):
        a = ref.q(f"SELECT {key} FROM {name} ORDER BY 1")
        b = other.q(f"SELECT {key} FROM {name} ORDER BY 1")
        assert a == b
    text = (tmp_path / fmt / f"orders.{fmt}").read_text(encoding="utf-8").splitlines()[1]
    assert re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", text)
    assert other.one("SELECT CAST(sum(CAST(amount AS DECIMAL(18,4))) AS VARCHAR) FROM orders") == ref.one(
        "SELECT CAST(sum(amount) AS VARCHAR) FROM orders"
    )


def _check_dirty(world: World, fmt: str) -> set[str]:
    rows = world.q('SELECT "table", file, row_number, row_id, "column", kind, value FROM truth_dirty_rows')
    assert rows
    reader = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}[fmt]
    opts = ", all_varchar=true" if fmt == "csv" else ", format='newline_delimited'" if fmt == "jsonl" else ""
    files: dict[str, dict[int, dict[str, object]]] = {}
    counts: dict[str, dict[str, int]] = {}
    for file in {r[1] for r in rows}:
        table = next(r[0] for r in rows if r[1] == file)
        key = TABLES[table].columns[0].name
        world.con.execute(
            f"CREATE OR REPLACE TEMP TABLE f AS SELECT *, row_number() OVER () AS _n"
            f" FROM {reader}('{world.path / file}'{opts})"
        )
        wanted = sorted({r[2] for r in rows if r[1] == file})
        got = world.con.execute(f"SELECT * FROM f WHERE _n IN ({', '.join(map(str, wanted))})").fetchall()
        names = [d[0] for d in world.con.description]
        files[file] = {int(g[-1]): dict(zip(names, g, strict=True)) for g in got}
        ids = {r[3] for r in rows if r[1] == file}
        in_list = ", ".join(f"'{i}'" for i in ids)
        counts[file] = dict(
            world.q(f"SELECT CAST({key} AS VARCHAR), count(*) FROM f WHERE {key} IN ({in_list}) GROUP BY 1")
        )  # type: ignore[arg-type]
    kinds = set()
    for table, file, row_number, row_id, column, kind, value in rows:
        kinds.add(kind)
        got = files[file][row_number]
        key = TABLES[table].columns[0].name
        assert str(got[key]) == row_id
        if kind.startswith("duplicate"):
            assert counts[file][row_id] >= 2
        if column is None:
            continue
        cell = got[column]
        if kind == "negative_amount":
            assert float(str(cell)) < 0
        elif kind == "unknown_status":
            assert cell not in ORDER_STATUSES
        elif kind == "unknown_kind":
            assert cell not in PAYMENT_KINDS
        elif kind == "nul_text":
            assert "\x00" in str(cell)
        elif kind == "missing_order":
            assert world.one(f"SELECT count(*) FROM orders WHERE order_id = '{cell}'") == 0
        elif kind == "out_of_range":
            assert int(str(cell)) < 1 or int(str(cell)) > 5
        elif kind == "bad_date":
            assert world.one(f"SELECT TRY_CAST('{cell}' AS TIMESTAMPTZ) IS NULL")
        if kind != "duplicate_identical":
            assert str(cell) == value or float(str(cell)) == float(value)
    return kinds


def test_dirty_rows_are_where_truth_says_parquet(default_world: World) -> None:
    kinds = _check_dirty(default_world, "parquet")
    assert "bad_date" not in kinds  # a Parquet timestamp cannot hold one
    assert {
        "negative_amount",
        "duplicate_identical",
        "duplicate_conflicting",
        "missing_order",
        "nul_text",
    } <= kinds
    # planted structures are never spoiled
    assert (
        default_world.one(
            "SELECT count(*) FROM truth_dirty_rows d JOIN truth_ring_orders r ON d.row_id = r.order_id"
        )
        == 0
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_dirty_rows_are_where_truth_says_text(tmp_path: Path, fmt: str) -> None:
    summary = generate_world(
        tmp_path,
        members=3000,
        seed=8,
        profile="default",
        media=False,
        fmt=fmt,
        dirty_rate=0.02,  # type: ignore[arg-type]
    )
    kinds = _check_dirty(World(summary), fmt)
    assert "bad_date" in kinds and "unknown_status" in kinds and "nul_text" in kinds


def test_tiny_profile_is_clean(tiny: World) -> None:
    assert tiny.one("SELECT count(*) FROM truth_dirty_rows") == 0
    assert tiny.one("SELECT count(*) - count(DISTINCT order_id) FROM orders") == 0


def test_truth_manifest_describes_every_table(tiny: World) -> None:
    manifest = json.loads((tiny.path / "truth" / "manifest.json").read_text())
    files = {p.stem for p in (tiny.path / "truth").glob("*.parquet")}
    assert set(manifest["tables"]) == files
    for name in (
        "pyramid_networks",
        "pyramid_members",
        "persons",
        "brushing_rings",
        "lookalikes",
        "dirty_rows",
    ):
        info = manifest["tables"][name]
        assert info["description"] and info["columns"]
        assert info["rows"] == pq.read_metadata(tiny.path / "truth" / f"{name}.parquet").num_rows
    assert manifest["members"] == 2500
    assert "## pyramid_networks" in (tiny.path / "truth" / "README.md").read_text()


def test_profiles_and_overrides() -> None:
    prof = resolve_profile("default", overrides={"pyramid_share": 0.2, "chunk_members": 5000}, dirty_rate=0.0)
    assert prof.pyramid_share == 0.2 and prof.chunk_members == 5000 and prof.dirty_rate == 0.0
    with pytest.raises(ValueError, match="unknown profile setting"):
        resolve_profile("default", overrides={"pyramid_shar": 0.2})
    with pytest.raises(ValueError, match="unknown profile"):
        resolve_profile("nope")


def test_pyramid_case_is_mostly_networks(tmp_path: Path) -> None:
    w = World(generate_world(tmp_path, members=3000, seed=1, profile="pyramid-case", media=False))
    share = w.one("SELECT count(*) FROM truth_pyramid_members") / 3000
    assert share > 0.5
    assert w.one("SELECT count(*) FROM payments WHERE kind = 'entry_fee'") > 500
    assert w.summary.planted["organizers"] > 0


def test_progress_and_summary(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    s = generate_world(
        tmp_path,
        members=1000,
        seed=1,
        profile="tiny",
        media=False,
        overrides={"chunk_members": 500},
        progress=lambda *a: seen.append(a),
    )
    assert seen[0] == ("members", 0, 1000) and seen[-1] == ("members", 1000, 1000)
    assert s.rows["members"] == 1000 and s.seconds > 0 and s.planted["rings"] >= 2


def test_small_world_with_media(tmp_path: Path) -> None:
    s = generate_world(tmp_path, members=1000, seed=4, profile="tiny", media=True)
    w = World(s)
    assert s.rows["media"] > 0
    paths = [r[0] for r in w.q("SELECT path FROM media")]
    assert all((tmp_path / p).is_file() for p in paths)
    assert w.one("SELECT count(*) FROM media WHERE owner_id NOT IN (SELECT member_id FROM members)") == 0
