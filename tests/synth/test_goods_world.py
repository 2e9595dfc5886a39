"""A chunk of merchants with media: the planted truth must really be in the tables and files."""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pytest
from PIL import Image

from sentinella.contract import MEDIA_CONTEXTS, TABLES
from sentinella.geo import geocode, haversine_km
from sentinella.synth._catalog import LANGS, Catalog, build_catalog
from sentinella.synth._goods import FX_TO_CNY, TRUTH_SCHEMAS, ShopGoods, generate_shop_goods
from sentinella.synth._goods_text import CLEARANCE_WORDS, SECONDHAND_WORDS
from sentinella.synth._images import EDITORS, read_exif

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 12, 31, tzinfo=UTC)


def _dct(n: int) -> npt.NDArray[np.float64]:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return np.cos(np.pi * (2 * i + 1) * k / (2 * n))


_D = _dct(32)


@cache
def _grey(path: Path, mirror: bool = False) -> npt.NDArray[np.float64]:
    """A 32x32 grey version; ``mirror`` flips it back left-right (for a mirrored copy)."""
    with Image.open(path) as img:
        small = img.convert("L").resize((32, 32), Image.Resampling.BOX)
    grey = np.asarray(small, dtype=np.float64)
    return grey[:, ::-1] if mirror else grey


@cache
def _phash(path: Path, mirror: bool = False) -> npt.NDArray[np.bool_]:
    """pHash: the 8x8 lowest DCT frequencies of a 32x32 grey image, above their median."""
    low = (_D @ _grey(path, mirror) @ _D.T)[:8, :8].ravel()
    return low > np.median(low)


def _grey_difference(a: Path, b: Path, mirror: bool = False) -> float:
    """Mean absolute difference of two 32x32 grey images normalised to mean 0, sd 1."""
    x, y = _grey(a, mirror), _grey(b)
    x = (x - x.mean()) / (x.std() + 1e-9)
    y = (y - y.mean()) / (y.std() + 1e-9)
    return float(np.abs(x - y).mean())


ROLES = (
    ["honest"] * 30
    + ["counterfeit"] * 10
    + ["daigou"] * 6
    + ["clearance"] * 5
    + ["secondhand"] * 5
    + ["influencer"] * 2
)


def _merchants(roles: list[str], seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = len(roles)
    lo = int(START.timestamp() * 1e6) - 200 * 86_400_000_000
    opened = rng.integers(lo, int(END.timestamp() * 1e6) - 30 * 86_400_000_000, n)
    owners = [f"mem{i - 1 if i % 10 == 9 else i}" for i in range(n)]  # a few own two shops
    return pa.table(
        {
            "merchant_id": [f"shop{i}" for i in range(n)],
            "member_id": owners,
            "role": roles,
            "opened_at": pa.array(opened).cast(pa.timestamp("us", tz="UTC")),
        }
    )


def _generate(catalog: Catalog, merchants: pa.Table, case: Path, media: bool, seed: int = 7) -> ShopGoods:
    return generate_shop_goods(
        np.random.SeedSequence(seed),
        catalog,
        merchants,
        case,
        media=media,
        start=START,
        end=END,
        id_prefix="k3-",
    )


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(1, 800)


@pytest.fixture(scope="module")
def world(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> tuple[ShopGoods, Path, pa.Table]:
    case = tmp_path_factory.mktemp("case")
    merchants = _merchants(ROLES)
    return _generate(catalog, merchants, case, media=True), case, merchants


def _rows(table: pa.Table) -> list[dict[str, object]]:
    return table.to_pylist()  # type: ignore[no-any-return]


def _role_of(world: tuple[ShopGoods, Path, pa.Table]) -> dict[str, str]:
    merchants = world[2]
    return dict(zip(merchants["merchant_id"].to_pylist(), merchants["role"].to_pylist(), strict=True))


def test_tables_follow_the_contract(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, _, _ = world
    assert goods.listings.schema.equals(TABLES["listings"].arrow_schema())
    assert goods.posts.schema.equals(TABLES["posts"].arrow_schema())
    assert goods.media.schema.equals(TABLES["media"].arrow_schema())
    assert set(goods.truth) == set(TRUTH_SCHEMAS)
    for name, table in goods.truth.items():
        assert table.schema.equals(TRUTH_SCHEMAS[name]), name
        assert table.num_rows > 0, name
    for table, column in ((goods.listings, "listing_id"), (goods.posts, "post_id")):
        ids = table[column].to_pylist()
        assert len(set(ids)) == len(ids)
        assert all(i.startswith("k3-") for i in ids)
    media_ids = goods.media["media_id"].to_pylist()
    assert len(set(media_ids)) == len(media_ids)


def test_prices_by_kind(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, _, _ = world
    role = _role_of(world)
    truth = {r["listing_id"]: r for r in _rows(goods.truth["listing_products"])}
    far_below = {
        r["entity_id"] for r in _rows(goods.truth["provenance_flags"]) if r["kind"] == "price_far_below"
    }
    kinds = defaultdict(list)
    for row in _rows(goods.listings):
        t = truth[row["listing_id"]]
        price_cny = float(row["price"]) * FX_TO_CNY[str(row["currency"])]
        assert price_cny == pytest.approx(t["price_cny"], rel=1e-6)
        ratio = price_cny / float(t["genuine_price"])  # type: ignore[arg-type]
        kinds[t["price_kind"]].append(ratio)
        r = role[str(row["merchant_id"])]
        if r == "counterfeit":
            assert t["price_kind"] == "counterfeit"
            assert 0.14 <= ratio <= 0.41
            assert row["listing_id"] in far_below
        else:
            assert row["listing_id"] not in far_below
        if r in ("honest", "influencer", "daigou") and t["price_kind"] == "market":
            assert 0.8 <= ratio <= 1.3
    assert set(kinds) == {"market", "counterfeit", "clearance", "secondhand"}
    assert max(kinds["counterfeit"]) < min(kinds["market"])


def _has_word(title: str, words: tuple[str, ...]) -> bool:
    return any(w.lower() in title.lower() for w in words)


def test_clearance_and_secondhand_titles_say_so(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, _, _ = world
    truth = {r["listing_id"]: r for r in _rows(goods.truth["listing_products"])}
    seen = defaultdict(int)
    for row in _rows(goods.listings):
        t = truth[row["listing_id"]]
        lang = LANGS.index(str(t["lang"]))
        title = str(row["title"])
        kind = t["price_kind"]
        seen[kind] += 1
        if kind == "clearance":
            assert _has_word(title, CLEARANCE_WORDS[lang]), title
        elif kind == "secondhand":
            assert _has_word(title, SECONDHAND_WORDS[lang]), title
        else:
            assert not _has_word(title, SECONDHAND_WORDS[lang]), title
            assert not _has_word(title, CLEARANCE_WORDS[lang]), title
    assert seen["clearance"] > 5 and seen["secondhand"] > 5
    lookalikes = {
        r["entity_id"]: r["kind"]
        for r in _rows(goods.truth["honest_lookalikes"])
        if r["entity_kind"] == "listing"
    }
    assert lookalikes == {
        k: v["price_kind"] for k, v in truth.items() if v["price_kind"] in ("clearance", "secondhand")
    }


def test_unknown_roles_behave_as_honest(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, _, _ = world
    role = _role_of(world)
    truth = _rows(goods.truth["listing_products"])
    odd = [t for t in truth if role[str(t["merchant_id"])] == "influencer"]
    assert odd
    assert {t["price_kind"] for t in odd} <= {"market", "clearance"}


def _paths(goods: ShopGoods, case: Path) -> dict[str, Path]:
    return {r["media_id"]: case / str(r["path"]) for r in _rows(goods.media.select(["media_id", "path"]))}


def test_media_files_and_references(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, case, _ = world
    listings = set(goods.listings["listing_id"].to_pylist())
    posts = set(goods.posts["post_id"].to_pylist())
    owners = set(goods.posts["member_id"].to_pylist()) | set(world[2]["member_id"].to_pylist())
    for row in _rows(goods.media):
        assert re.fullmatch(r"media/[0-9a-f]{2}/k3-IMG\d+\.jpg", str(row["path"]))
        with Image.open(case / str(row["path"])) as img:
            assert img.format == "JPEG"
            assert min(img.size) >= 150 and max(img.size) <= 640, img.size
        assert row["context"] in MEDIA_CONTEXTS
        assert row["owner_id"] in owners
        if row["context"] == "listing":
            assert row["ref_id"] in listings
        elif row["context"] in ("post", "origin", "delivery"):
            assert row["ref_id"] in posts
        else:
            assert row["ref_id"] in listings | posts
    assert set(goods.media["context"].to_pylist()) == set(MEDIA_CONTEXTS)
    total = sum(p.stat().st_size for p in _paths(goods, case).values())
    assert total / goods.media.num_rows < 25_000


def test_copied_photos_are_near_duplicates(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, case, _ = world
    role = _role_of(world)
    paths = _paths(goods, case)
    copies = _rows(goods.truth["media_copies"])
    assert len(copies) > 20
    bits, diffs = [], []
    for row in copies:
        assert role[str(row["merchant_id"])] == "counterfeit"
        assert role[str(row["source_merchant_id"])] != "counterfeit"
        a, b = paths[str(row["media_id"])], paths[str(row["source_media_id"])]
        assert a.read_bytes() != b.read_bytes()
        mirrored = "mirror" in str(row["edits"])
        bits.append(int((_phash(a, mirrored) != _phash(b)).sum()))
        diffs.append(_grey_difference(a, b, mirrored))
    assert any("mirror" in str(row["edits"]) for row in copies)
    assert max(diffs) < 0.33
    assert max(bits) <= 18
    assert np.quantile(bits, 0.9) <= 12


def test_own_shots_of_same_product_are_not_near_duplicates(
    world: tuple[ShopGoods, Path, pa.Table],
) -> None:
    goods, case, _ = world
    paths = _paths(goods, case)
    facts = {r["media_id"]: r for r in _rows(goods.truth["media_facts"])}
    rows = [r for r in _rows(goods.truth["honest_lookalikes"]) if r["kind"] == "own_photo_same_product"]
    assert len(rows) > 20
    bits, diffs = [], []
    for row in rows[:: max(1, len(rows) // 200)]:
        a, b = facts[row["entity_id"]], facts[row["related_id"]]
        assert a["product_id"] == b["product_id"]
        assert a["merchant_id"] != b["merchant_id"]
        pa_, pb = paths[str(row["entity_id"])], paths[str(row["related_id"])]
        bits.append(int((_phash(pa_) != _phash(pb)).sum()))
        diffs.append(_grey_difference(pa_, pb))
    assert min(diffs) > 0.36
    assert min(bits) >= 10
    assert np.median(bits) >= 20


def _claimed(goods: ShopGoods) -> dict[str, tuple[str, str | None, datetime, str]]:
    return {
        r["post_id"]: (str(r["member_id"]), r["claimed_place"], r["posted_at"], str(r["text"]))  # type: ignore[misc]
        for r in _rows(goods.posts)
    }


def test_spoofed_gps_is_far_and_real_trips_are_close(
    world: tuple[ShopGoods, Path, pa.Table],
) -> None:
    goods, case, _ = world
    role = _role_of(world)
    paths = _paths(goods, case)
    posts = _claimed(goods)
    media = {r["media_id"]: r for r in _rows(goods.media)}
    flags = _rows(goods.truth["provenance_flags"])
    spoofed = [r for r in flags if r["kind"] == "spoofed_gps"]
    assert spoofed
    for flag in spoofed:
        m = media[flag["entity_id"]]
        place = geocode(posts[str(m["ref_id"])][1])
        assert place is not None and place.country != "CN"
        exif = read_exif(paths[str(flag["entity_id"])].read_bytes())
        km = haversine_km(place.lat, place.lon, exif["gps_lat"], exif["gps_lon"])  # type: ignore[arg-type]
        assert km > 1000
    by_merchant = {r["media_id"]: r["merchant_id"] for r in _rows(goods.truth["media_facts"])}
    checked = 0
    for m in media.values():
        if m["context"] != "origin" or role[str(by_merchant[m["media_id"]])] != "daigou":
            continue
        exif = read_exif(paths[str(m["media_id"])].read_bytes())
        if not exif:
            continue  # stripped by a chat app: not evidence either way
        place = geocode(posts[str(m["ref_id"])][1])
        assert place is not None
        km = haversine_km(place.lat, place.lon, exif["gps_lat"], exif["gps_lon"])  # type: ignore[arg-type]
        assert km < 10
        local = exif["datetime_original"] - timedelta(hours=exif["offset"])  # type: ignore[operator]
        assert abs((local - exif["gps_time"]).total_seconds()) <= 1  # type: ignore[operator]
        checked += 1
    assert checked > 5


def test_edited_exif_disagrees_with_gps_time(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, case, _ = world
    paths = _paths(goods, case)
    context = dict(zip(goods.media["media_id"].to_pylist(), goods.media["context"].to_pylist(), strict=True))
    edited = [r for r in _rows(goods.truth["provenance_flags"]) if r["kind"] == "edited_exif"]
    origin = [r for r in edited if context[str(r["entity_id"])] == "origin"]
    assert origin
    for flag in edited:
        exif = read_exif(paths[str(flag["entity_id"])].read_bytes())
        assert exif["software"] in EDITORS
        if context[str(flag["entity_id"])] == "origin":
            utc = exif["datetime_original"] - timedelta(hours=exif["offset"])  # type: ignore[operator]
            assert abs((utc - exif["gps_time"]).total_seconds()) >= 3 * 3600  # type: ignore[operator]


def test_stripped_photos_have_no_exif(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, case, _ = world
    paths = _paths(goods, case)
    stripped = [r for r in _rows(goods.truth["honest_lookalikes"]) if r["kind"] == "exif_stripped"]
    assert len(stripped) > 20
    for row in stripped:
        with Image.open(paths[str(row["entity_id"])]) as img:
            assert len(img.getexif()) == 0
    facts = _rows(goods.truth["media_facts"])
    with_exif = [r for r in facts if r["has_exif"]][:50]
    assert with_exif
    for row in with_exif:
        assert read_exif(paths[str(row["media_id"])].read_bytes())["make"]


def _legs(goods: ShopGoods) -> list[tuple[str, str, str, float, float]]:
    """(member, previous post, post, km, km/h) for consecutive place-claiming posts."""
    by_member = defaultdict(list)
    for post_id, (member, claimed, at, _) in _claimed(goods).items():
        if claimed is not None:
            by_member[member].append((at, post_id, geocode(claimed)))
    legs = []
    for member, posts in by_member.items():
        posts.sort(key=lambda p: (p[0], p[1]))
        for (t0, p0, a), (t1, p1, b) in itertools.pairwise(posts):
            km = haversine_km(a.lat, a.lon, b.lat, b.lon)
            hours = (t1 - t0).total_seconds() / 3600
            legs.append((member, p0, p1, km, km / hours if hours > 0 else float("inf")))
    return legs


def test_impossible_travel_matches_the_posts(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, _, _ = world
    role = _role_of(world)
    flags = {
        r["entity_id"] for r in _rows(goods.truth["provenance_flags"]) if r["kind"] == "impossible_travel"
    }
    assert flags
    impossible = {p1 for _, _, p1, km, speed in _legs(goods) if km > 300 and speed > 1000}
    assert impossible == flags
    post_merchant = {r["post_id"]: r["merchant_id"] for r in _rows(goods.truth["post_places"])}
    assert {role[str(post_merchant[p])] for p in flags} == {"counterfeit"}
    trips = [r for r in _rows(goods.truth["post_places"]) if r["kind"] == "trip"]
    assert trips and all(role[str(r["merchant_id"])] == "daigou" for r in trips)


def test_impossible_travel_shows_in_gps_too(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, case, _ = world
    paths = _paths(goods, case)
    gps_of_post: dict[str, dict[str, object]] = {}
    for row in _rows(goods.media):
        exif = read_exif(paths[str(row["media_id"])].read_bytes())
        if "gps_lat" in exif and "gps_time" in exif:
            gps_of_post.setdefault(str(row["ref_id"]), exif)
    checked = 0
    for flag in _rows(goods.truth["provenance_flags"]):
        if flag["kind"] != "impossible_travel":
            continue
        before = re.match(r"after (\S+):", str(flag["detail"]))
        assert before is not None
        a, b = gps_of_post.get(before.group(1)), gps_of_post.get(str(flag["entity_id"]))
        if a is None or b is None:
            continue
        km = haversine_km(a["gps_lat"], a["gps_lon"], b["gps_lat"], b["gps_lon"])  # type: ignore[arg-type]
        hours = abs((b["gps_time"] - a["gps_time"]).total_seconds()) / 3600  # type: ignore[operator]
        assert km > 1000 and km / hours > 1000, (km, hours)
        checked += 1
    assert checked >= 1


def test_chunks_without_honest_sources_or_merchants(catalog: Catalog, tmp_path: Path) -> None:
    only_fakes = _generate(catalog, _merchants(["counterfeit"] * 3), tmp_path / "a", media=True)
    assert only_fakes.listings.num_rows > 0
    assert only_fakes.truth["media_copies"].num_rows == 0  # nothing honest here to copy from
    assert only_fakes.media.num_rows > 0
    empty = _generate(catalog, _merchants([]), tmp_path / "b", media=True)
    assert empty.listings.num_rows == empty.posts.num_rows == empty.media.num_rows == 0
    assert empty.listings.schema.equals(TABLES["listings"].arrow_schema())


def test_post_text_names_the_claimed_place(world: tuple[ShopGoods, Path, pa.Table], catalog: Catalog) -> None:
    goods, _, _ = world
    named = 0
    brands = sorted((b.name for b in catalog.brands), key=len, reverse=True)
    for _, claimed, _, text in _claimed(goods).values():
        if claimed is None:
            # Brands such as "Celestine Paris" name cities without claiming to be there.
            for brand in brands:
                text = text.replace(brand, "")
            assert geocode(text) is None, text
        else:
            assert geocode(text) == geocode(claimed), (text, claimed)
            named += 1
    assert named > 20


def test_receipts_reused_across_shops(world: tuple[ShopGoods, Path, pa.Table]) -> None:
    goods, case, _ = world
    paths = _paths(goods, case)
    pools: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in _rows(goods.truth["provenance_flags"]):
        if r["kind"] in ("reused_receipt", "reused_delivery"):
            photo = re.search(r"photo #\d+", str(r["detail"]))
            assert photo is not None
            pools[f"{r['kind']} {photo.group(0)}"].append((str(r["entity_id"]), str(r["merchant_id"])))
    assert any(k.startswith("reused_receipt") for k in pools)
    for uses in pools.values():
        assert len({m for _, m in uses}) >= 2
        first = _phash(paths[uses[0][0]])
        for media_id, _ in uses[1:]:
            assert int((_phash(paths[media_id]) != first).sum()) <= 8


def _digest(case: Path) -> dict[str, str]:
    return {
        str(p.relative_to(case)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(case.rglob("*.jpg"))
    }


def test_same_seed_same_bytes(catalog: Catalog, tmp_path: Path) -> None:
    merchants = _merchants(["honest"] * 4 + ["counterfeit"] * 2 + ["daigou"] * 2, seed=3)
    a = _generate(catalog, merchants, tmp_path / "a", media=True)
    b = _generate(catalog, merchants, tmp_path / "b", media=True)
    c = _generate(catalog, merchants, tmp_path / "c", media=False)
    d = _generate(catalog, merchants, tmp_path / "d", media=False, seed=8)
    assert a.listings.equals(b.listings) and a.posts.equals(b.posts) and a.media.equals(b.media)
    for name in a.truth:
        assert a.truth[name].equals(b.truth[name]), name
    digest = _digest(tmp_path / "a")
    assert digest and digest == _digest(tmp_path / "b")
    # Pictures are extra: the tables do not depend on whether they are drawn.
    assert c.listings.equals(a.listings) and c.posts.equals(a.posts)
    assert c.media.num_rows == 0 and not (tmp_path / "c").exists()
    assert not d.listings.equals(c.listings)


def test_large_chunk_without_media_is_vectorised(catalog: Catalog, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    roles = rng.choice(["honest", "counterfeit", "daigou", "clearance", "secondhand"], 30_000)
    merchants = _merchants(roles.tolist(), seed=4)
    began = time.perf_counter()
    goods = _generate(catalog, merchants, tmp_path, media=False)
    elapsed = time.perf_counter() - began
    assert goods.listings.num_rows > 90_000
    assert elapsed < 10, elapsed
