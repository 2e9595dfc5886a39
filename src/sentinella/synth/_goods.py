"""Listings, posts and photos of a chunk of merchants, with planted provenance ground truth.

The world generator calls :func:`generate_shop_goods` once per chunk of merchants. Tables are
built with numpy and pyarrow compute (no per-row Python), so a world with millions of merchants
streams through when ``media=False``; with ``media=True`` each picture is drawn and saved, which
is meant for worlds of up to a few hundred thousand members.

What is planted, by merchant role:

- ``honest`` (and any unknown role): prices near the market, their own photos (EXIF often
  stripped by chat apps, sometimes a beauty-filter app in ``Software``).
- ``counterfeit``: prices at 15–40% of the genuine product; listing photos copied from honest
  merchants of the same chunk (recompressed, resized, cropped, price sticker); posts claiming to
  shop abroad, whose "origin" photos carry GPS from home (spoofed), or an editor in ``Software``
  with DateTimeOriginal disagreeing with the GPS time (edited), or that are followed within hours
  by a post from home (impossible travel); the same receipt and parcel photos reused by several
  shops.
- ``daigou``: honest personal shoppers; real trips with GPS at the claimed place and travel a
  plane allows.
- ``clearance`` and ``secondhand``: honest low prices, announced in the title.

Some brands carry a city in their name ("Celestine Paris", "Castellani Milano"): a post that
mentions one claims nothing, a trap for naive geocoding. The ``truth`` tables say all of this
row by row; see :data:`TRUTH_SCHEMAS`.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from PIL import Image

from ..contract import TABLES
from ..geo import PLACES, Place, haversine_km
from ..money import DEFAULT_CNY_PER_UNIT
from ._catalog import LANGS, Catalog, Product
from ._goods_text import (
    CLEARANCE_WORDS,
    COUNTERFEIT_WORDS,
    DAIGOU_WORDS,
    MARKETING_WORDS,
    POST_TEMPLATES,
    SECONDHAND_WORDS,
)
from ._images import (
    CAMERAS,
    EDITORS,
    FILTER_APPS,
    ExifSpec,
    edit_copy,
    encode_jpeg,
    render_delivery,
    render_product,
    render_receipt,
    render_street,
    shot_style,
)

__all__ = [
    "FX_TO_CNY",
    "IMPOSSIBLE_SPEED_KMH",
    "ROLES",
    "TRUTH_SCHEMAS",
    "ShopGoods",
    "generate_shop_goods",
]

ROLES: tuple[str, ...] = ("honest", "counterfeit", "daigou", "clearance", "secondhand")
HONEST, COUNTERFEIT, DAIGOU, CLEARANCE, SECONDHAND = range(5)
PRICE_KINDS: tuple[str, ...] = ("market", "counterfeit", "clearance", "secondhand")
FX_TO_CNY: dict[str, float] = {
    code: DEFAULT_CNY_PER_UNIT[code] for code in ("CNY", "EUR", "USD", "JPY", "HKD")
}
"""The rates the generator prices with: the analyses' own default table, so amounts convert back."""

IMPOSSIBLE_SPEED_KMH = 1000.0
"""Faster than an airliner: consecutive posts implying more than this are impossible travel."""
MIN_TRAVEL_KM = 300.0

_US = 1_000_000
_HOUR = 3600 * _US
_DAY = 24 * _HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_S = pa.string()
_F = pa.float64()
TRUTH_SCHEMAS: dict[str, pa.Schema] = {
    # One row per listing: what it really is and how its price compares to the genuine one.
    "listing_products": pa.schema(
        [
            ("listing_id", _S),
            ("merchant_id", _S),
            ("product_id", _S),
            ("lang", _S),
            ("price_kind", _S),  # market | counterfeit | clearance | secondhand
            ("genuine_price", _F),  # CNY
            ("price_cny", _F),
            ("price_ratio", _F),  # price_cny / genuine_price
        ]
    ),
    # Every planted bad signal. entity_kind: listing | post | media. kind: price_far_below,
    # false_place_claim, impossible_travel, copied_photo, spoofed_gps, edited_exif,
    # reused_receipt, reused_delivery.
    "provenance_flags": pa.schema(
        [
            ("entity_id", _S),
            ("entity_kind", _S),
            ("merchant_id", _S),
            ("member_id", _S),
            ("kind", _S),
            ("detail", _S),
        ]
    ),
    # Things that look suspicious but are honest; a detector flagging them is wrong. kind:
    # clearance, secondhand, daigou_real_trip, exif_stripped, own_photo_same_product,
    # honest_filter_app. related_id: for own_photo_same_product, another merchant's photo of
    # the same product.
    "honest_lookalikes": pa.schema(
        [
            ("entity_id", _S),
            ("entity_kind", _S),
            ("merchant_id", _S),
            ("kind", _S),
            ("related_id", _S),
            ("detail", _S),
        ]
    ),
    # Copied photos and what they were copied from; edits joined by "+".
    "media_copies": pa.schema(
        [
            ("media_id", _S),
            ("source_media_id", _S),
            ("merchant_id", _S),
            ("source_merchant_id", _S),
            ("edits", _S),
        ]
    ),
    # Every post: the place it claims and where the poster really was.
    "post_places": pa.schema(
        [
            ("post_id", _S),
            ("merchant_id", _S),
            ("member_id", _S),
            ("kind", _S),  # promo | home | trip | fake_trip | return
            ("claimed_place", _S),  # geo place key
            ("true_place", _S),
        ]
    ),
    # Every image: what it shows and what EXIF it was written with.
    "media_facts": pa.schema(
        [
            ("media_id", _S),
            ("merchant_id", _S),
            ("subject", _S),  # product | street | receipt | delivery
            ("product_id", _S),
            ("place", _S),  # place depicted or claimed
            ("has_exif", pa.bool_()),
            ("software", _S),
            ("gps_lat", _F),
            ("gps_lon", _F),
        ]
    ),
}


@dataclass
class ShopGoods:
    """One chunk's output: contract tables plus ground truth (see ``TRUTH_SCHEMAS``)."""

    listings: pa.Table
    posts: pa.Table
    media: pa.Table
    truth: dict[str, pa.Table]


# -- helpers ---------------------------------------------------------------------------

_CN = [i for i, p in enumerate(PLACES) if p.country == "CN"]
_CN_W = {
    "guangzhou": 6.0,
    "shenzhen": 5.0,
    "shanghai": 6.0,
    "beijing": 5.0,
    "hangzhou": 4.0,
    "yiwu": 2.0,
    "chengdu": 3.0,
}
_HOME_P = np.array([_CN_W.get(PLACES[i].key, 1.0) for i in _CN])
_HOME_P /= _HOME_P.sum()
_FAKE_HOMES = {"guangzhou": 5.0, "putian": 4.0, "shenzhen": 3.0, "dongguan": 2.0, "yiwu": 2.0}
_FAKE_HOME_P = np.array([_FAKE_HOMES.get(PLACES[i].key, 0.15) for i in _CN])
_FAKE_HOME_P /= _FAKE_HOME_P.sum()
_ABROAD = [i for i, p in enumerate(PLACES) if p.country not in ("CN",)]
_DEST_W = {
    "milan": 6.0,
    "paris": 6.0,
    "tokyo": 5.0,
    "seoul": 5.0,
    "hong_kong": 4.0,
    "london": 3.0,
    "sydney": 3.0,
    "auckland": 2.0,
    "osaka": 3.0,
    "florence": 2.0,
    "serravalle": 2.0,
    "bicester": 2.0,
    "geneva": 2.0,
    "new_york": 2.0,
}
_DEST_P = np.array([_DEST_W.get(PLACES[i].key, 0.5) for i in _ABROAD])
_DEST_P /= _DEST_P.sum()

_FAR_KM = 2500.0
_FAR = [i for i in _ABROAD if PLACES[i].country not in ("HK", "MO", "TW", "KR", "JP")]
_FAR_P = np.array([_DEST_W.get(PLACES[i].key, 0.5) for i in _FAR])
_FAR_P /= _FAR_P.sum()


def _home_km(home: npt.NDArray[np.int64], dest: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    lat, lon = np.array([p.lat for p in PLACES]), np.array([p.lon for p in PLACES])
    return haversine_km(lat[home], lon[home], lat[dest], lon[dest])


_ROLE_CATS = np.array(
    [
        # skincare cosmetics handbags watches sneakers formula supplements electronics liquor
        [0.18, 0.14, 0.10, 0.07, 0.12, 0.09, 0.11, 0.14, 0.05],  # honest
        [0.08, 0.14, 0.26, 0.16, 0.20, 0.05, 0.03, 0.03, 0.05],  # counterfeit
        [0.22, 0.20, 0.18, 0.06, 0.04, 0.16, 0.12, 0.00, 0.02],  # daigou
        [0.18, 0.14, 0.12, 0.06, 0.18, 0.06, 0.10, 0.12, 0.04],  # clearance
        [0.04, 0.04, 0.36, 0.24, 0.16, 0.00, 0.00, 0.16, 0.00],  # secondhand
    ]
)
_ROLE_CATS = _ROLE_CATS / _ROLE_CATS.sum(axis=1, keepdims=True)
_GTIN_P = np.array([0.5, 0.25, 0.4, 0.4, 0.2])

_POOLS = (MARKETING_WORDS, COUNTERFEIT_WORDS, CLEARANCE_WORDS, SECONDHAND_WORDS, DAIGOU_WORDS)
NONE_W, MARKETING_W, COUNTERFEIT_W, CLEARANCE_W, SECONDHAND_W, DAIGOU_W = -1, 0, 1, 2, 3, 4


def _word_table() -> tuple[pa.Array, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    words = [""]
    offset = np.zeros((len(_POOLS), len(LANGS)), dtype=np.int64)
    count = np.zeros_like(offset)
    for p, pool in enumerate(_POOLS):
        for lang, lst in enumerate(pool):
            offset[p, lang] = len(words)
            count[p, lang] = len(lst)
            words += list(lst)
    return pa.array(words, _S), offset, count


_WORDS, _WORD_OFF, _WORD_N = _word_table()

_POST_KINDS = ("promo", "home", "trip", "fake_trip", "return")
PROMO, HOME, TRIP, FAKE_TRIP, RETURN = range(5)
_TEMPLATE_OF_KIND = ("promo", "home", "trip", "trip", "return")


def _template_table() -> tuple[list[pa.Array], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    parts: list[list[str]] = [[], [], []]
    offset = np.zeros((len(_POST_KINDS), len(LANGS)), dtype=np.int64)
    count = np.zeros_like(offset)
    for k, name in enumerate(_TEMPLATE_OF_KIND):
        for lang, templates in enumerate(POST_TEMPLATES[name]):
            offset[k, lang] = len(parts[0])
            count[k, lang] = len(templates)
            for t in templates:
                for j in range(3):
                    parts[j].append(t[j])
    return [pa.array(p, _S) for p in parts], offset, count


_TPL, _TPL_OFF, _TPL_N = _template_table()
_PLACE_NAME = pa.array([p.name_in(lang) for lang in LANGS for p in PLACES], _S)
_PLACE_LABEL = pa.array([p.label(lang) for lang in LANGS for p in PLACES], _S)
_PLACE_KEY = pa.array([p.key for p in PLACES], _S)
_PLACE_LAT = np.array([p.lat for p in PLACES])
_PLACE_LON = np.array([p.lon for p in PLACES])


def _child(seed: np.random.SeedSequence, k: int) -> np.random.Generator:
    """A stream per concern, so adding media never changes the tables."""
    return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, k)))


def _us(t: datetime) -> int:
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return (t - _EPOCH) // timedelta(microseconds=1)


def _to_dt(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(us))


def _ids(prefix: str, kind: str, n: int) -> pa.Array:
    seq = pc.utf8_lpad(pc.cast(pa.array(np.arange(n, dtype=np.int64)), _S), 7, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix + kind), seq, "")


def _decimal(units: npt.NDArray[np.int64]) -> pa.Array:
    """Decimal128(18, 4) from integer ten-thousandths, exactly and without Python objects."""
    words = np.empty((len(units), 2), dtype=np.int64)
    words[:, 0] = units
    words[:, 1] = np.where(units < 0, -1, 0)
    money = TABLES["listings"].column("price").kind.arrow_type
    return pa.Array.from_buffers(money, len(units), [None, pa.py_buffer(words.tobytes())])


def _ts(us: npt.NDArray[np.int64]) -> pa.Array:
    return pa.array(us, pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def _null_where(array: pa.Array, mask: npt.NDArray[np.bool_]) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.scalar(None, array.type), array)


def _pick(rng: np.random.Generator, p: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.int64]:
    return np.asarray(rng.choice(len(p), size=n, p=p), dtype=np.int64)


def _words(rng: np.random.Generator, pool: npt.NDArray[np.int64], lang: npt.NDArray[np.int64]) -> pa.Array:
    safe = np.maximum(pool, 0)
    idx = _WORD_OFF[safe, lang] + (rng.random(len(pool)) * _WORD_N[safe, lang]).astype(np.int64)
    return _WORDS.take(pa.array(np.where(pool < 0, 0, idx)))


# -- tables ----------------------------------------------------------------------------


@dataclass
class _Shops:
    m_id: pa.Array
    owner: pa.Array
    owner_code: npt.NDArray[np.int64]
    role: npt.NDArray[np.int64]
    lang: npt.NDArray[np.int64]
    home: npt.NDArray[np.int64]
    lo: npt.NDArray[np.int64]
    camera: npt.NDArray[np.int64]
    style: npt.NDArray[np.int64]
    first_listing: npt.NDArray[np.int64]
    n_listings: npt.NDArray[np.int64]


def _shops(rng: np.random.Generator, merchants: pa.Table, start: int, end: int) -> _Shops:
    m = merchants.num_rows
    role_raw = pc.index_in(pc.cast(merchants["role"], _S), value_set=pa.array(ROLES, _S))
    role = np.asarray(pc.fill_null(role_raw, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    if "opened_at" in merchants.column_names:
        stamps = pc.cast(merchants["opened_at"], pa.timestamp("us", tz="UTC"))
        opened = pc.fill_null(pc.cast(stamps, pa.int64()), start)
    else:
        opened = pa.array(np.full(m, start, dtype=np.int64))
    opened_us = np.asarray(opened.to_numpy(zero_copy_only=False), dtype=np.int64)
    lo = np.minimum(np.maximum(opened_us, start), end - _DAY)
    owner = pc.cast(merchants["member_id"], _S).combine_chunks()
    owner_code = np.asarray(
        pc.dictionary_encode(owner).indices.to_numpy(zero_copy_only=False), dtype=np.int64
    )
    lang = _pick(rng, np.array([0.7, 0.15, 0.15]), m)
    lang[role == DAIGOU] = _pick(rng, np.array([0.75, 0.1, 0.15]), int((role == DAIGOU).sum()))
    home = np.array(_CN, dtype=np.int64)[_pick(rng, _HOME_P, m)]
    fake = role == COUNTERFEIT
    home[fake] = np.array(_CN, dtype=np.int64)[_pick(rng, _FAKE_HOME_P, int(fake.sum()))]
    size = np.exp(rng.normal(1.4, 0.8, m))
    size[fake] = np.exp(rng.normal(1.7, 0.7, int(fake.sum())))
    n_listings = np.clip(1 + np.floor(size), 1, 60).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(n_listings)[:-1]]).astype(np.int64)
    return _Shops(
        m_id=pc.cast(merchants["merchant_id"], _S).combine_chunks(),
        owner=owner,
        owner_code=owner_code,
        role=role,
        lang=lang,
        home=home,
        lo=lo,
        camera=rng.integers(0, len(CAMERAS), m).astype(np.int64),
        style=rng.integers(0, 2**31 - 1, m).astype(np.int64),
        first_listing=first,
        n_listings=n_listings,
    )


@dataclass
class _Listings:
    table: pa.Table
    merchant: npt.NDArray[np.int64]
    product: npt.NDArray[np.int64]
    lang: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int64]
    listed: npt.NDArray[np.int64]
    price_cny: npt.NDArray[np.float64]
    currency: npt.NDArray[np.str_]
    price_local: npt.NDArray[np.float64]


def _listings(
    rng: np.random.Generator,
    shops: _Shops,
    catalog: Catalog,
    start: int,
    end: int,
    id_prefix: str,
) -> _Listings:
    lm = np.repeat(np.arange(len(shops.role), dtype=np.int64), shops.n_listings)
    n = len(lm)
    role = shops.role[lm]
    lang = shops.lang[lm].copy()
    switch = rng.random(n) < 0.1
    lang[switch] = rng.integers(0, len(LANGS), int(switch.sum()))

    main_cat = np.empty(len(shops.role), dtype=np.int64)
    for r in range(len(ROLES)):
        rows = np.flatnonzero(shops.role == r)
        main_cat[rows] = _pick(rng, _ROLE_CATS[r], len(rows))
    cat = main_cat[lm].copy()
    other = rng.random(n) < 0.2
    cat[other] = _pick(rng, _ROLE_CATS[HONEST], int(other.sum()))
    product = catalog.sample(rng, cat)
    # Counterfeiters copy what sells: most of their items are ones honest shops here list.
    fake = role == COUNTERFEIT
    pool = np.flatnonzero(~fake)
    copy_item = fake & (rng.random(n) < 0.7)
    if len(pool):
        product[copy_item] = product[pool[rng.integers(0, len(pool), int(copy_item.sum()))]]

    u = rng.random(n)
    kind = np.zeros(n, dtype=np.int64)
    kind[fake] = 1
    kind[(role == CLEARANCE) & (u < 0.7)] = 2
    kind[(role == HONEST) & (u < 0.03)] = 2
    kind[(role == SECONDHAND) & (u < 0.85)] = 3
    ratio = np.clip(np.exp(rng.normal(0.0, 0.06, n)), 0.85, 1.25)
    ratio = np.where(role == DAIGOU, rng.uniform(0.85, 1.1, n), ratio)
    ratio = np.where(kind == 1, rng.uniform(0.15, 0.40, n), ratio)
    ratio = np.where(kind == 2, rng.uniform(0.4, 0.75, n), ratio)
    ratio = np.where(kind == 3, rng.uniform(0.3, 0.7, n), ratio)

    codes = np.array(["CNY", "EUR", "JPY", "HKD", "USD"])
    cur = np.zeros(n, dtype=np.int64)
    abroad = (role == DAIGOU) & (rng.random(n) < 0.25)
    cur[abroad] = rng.integers(1, len(codes), int(abroad.sum()))
    fx = np.array([FX_TO_CNY[c] for c in codes])[cur]
    genuine = catalog.price_cny[product]
    local = genuine * ratio / fx
    step = np.where(codes[cur] == "JPY", 10.0, 1.0)
    local = np.maximum(step, np.round(local / step) * step)
    price_cny = local * fx

    title = catalog.compose_titles(rng, product, lang, *_title_words(rng, role, kind, lang))
    listed = shops.lo[lm] + (rng.random(n) * (end - shops.lo[lm])).astype(np.int64)
    gtin = _null_where(catalog.gtins(product), rng.random(n) >= _GTIN_P[role])
    brand = _null_where(catalog.brand_as_stated(product, lang), rng.random(n) < 0.15)
    category = _null_where(catalog.category_names(product), rng.random(n) < 0.1)
    table = pa.Table.from_arrays(
        [
            _ids(id_prefix, "L", n),
            shops.m_id.take(pa.array(lm)),
            title,
            _decimal(np.round(local * 10_000).astype(np.int64)),
            pa.array(codes[cur], _S),
            brand,
            category,
            gtin,
            _ts(listed),
        ],
        schema=TABLES["listings"].arrow_schema(),
    )
    return _Listings(table, lm, product, lang, kind, listed, price_cny, codes[cur], local)


def _title_words(
    rng: np.random.Generator,
    role: npt.NDArray[np.int64],
    kind: npt.NDArray[np.int64],
    lang: npt.NDArray[np.int64],
) -> tuple[pa.Array, pa.Array]:
    n = len(role)
    lead = np.where(rng.random(n) < 0.5, MARKETING_W, NONE_W)
    lead = np.where((role == COUNTERFEIT) & (rng.random(n) < 0.4), COUNTERFEIT_W, lead)
    lead = np.where((role == DAIGOU) & (rng.random(n) < 0.5), DAIGOU_W, lead)
    tail = np.where(rng.random(n) < 0.35, MARKETING_W, NONE_W)
    must = np.where(kind == 2, CLEARANCE_W, np.where(kind == 3, SECONDHAND_W, NONE_W))
    front = rng.random(n) < 0.5
    lead = np.where((must >= 0) & front, must, lead)
    tail = np.where((must >= 0) & ~front, must, tail)
    return _words(rng, lead, lang), _words(rng, tail, lang)


@dataclass
class _Posts:
    table: pa.Table
    merchant: npt.NDArray[np.int64]
    time: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int64]
    place: npt.NDArray[np.int64]
    variant: npt.NDArray[np.int64]  # fake trips: 1 spoofed GPS, 2 edited EXIF, 3 travel
    product: npt.NDArray[np.int64]
    lang: npt.NDArray[np.int64]


def _posts(
    rng: np.random.Generator,
    shops: _Shops,
    lst: _Listings,
    catalog: Catalog,
    end: int,
    id_prefix: str,
) -> _Posts:
    role = shops.role
    span = end - shops.lo
    parts: list[tuple[npt.NDArray[np.int64], ...]] = []  # merchant, time, kind, place, variant

    def add(
        merchant: npt.NDArray[np.int64],
        time: npt.NDArray[np.int64],
        kind: npt.NDArray[np.int64] | int,
        place: npt.NDArray[np.int64],
        variant: npt.NDArray[np.int64] | int = 0,
    ) -> None:
        k = len(merchant)
        parts.append(
            (
                merchant,
                time.astype(np.int64),
                np.broadcast_to(np.asarray(kind, dtype=np.int64), (k,)).copy(),
                place.astype(np.int64),
                np.broadcast_to(np.asarray(variant, dtype=np.int64), (k,)).copy(),
            )
        )

    def uniform_times(merchant: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return shops.lo[merchant] + (rng.random(len(merchant)) * span[merchant]).astype(np.int64)

    def tagged_home(merchant: npt.NDArray[np.int64], p: float) -> npt.NDArray[np.int64]:
        return np.where(rng.random(len(merchant)) < p, shops.home[merchant], -1)

    # Ordinary shops: a few promotional posts, some tagged with the home city.
    plain = np.flatnonzero((role != COUNTERFEIT) & (role != DAIGOU))
    pm = np.repeat(plain, np.minimum(rng.poisson(1.2, len(plain)), 6))
    place = tagged_home(pm, 0.3)
    add(pm, uniform_times(pm), np.where(place >= 0, HOME, PROMO), place)

    # Daigou: one to three real trips, each in its own slice of time with home posts well
    # clear of it, so every leg is slower than a plane.
    dg = np.flatnonzero(role == DAIGOU)
    trips = np.minimum(rng.integers(1, 4, len(dg)), span[dg] // (10 * _DAY))
    tm = np.repeat(dg, trips)
    t_index = np.arange(len(tm)) - np.repeat(np.cumsum(trips) - trips, trips)
    seg = span[tm] // np.maximum(np.repeat(trips, trips), 1)
    seg_start = shops.lo[tm] + t_index * seg
    dur = np.minimum(rng.uniform(3, 9, len(tm)) * _DAY, 0.35 * seg).astype(np.int64)
    t0 = seg_start + (0.5 * seg - dur / 2 + rng.uniform(-0.1, 0.1, len(tm)) * seg).astype(np.int64)
    dest = np.array(_ABROAD, dtype=np.int64)[_pick(rng, _DEST_P, len(tm))]
    per_trip = rng.integers(2, 6, len(tm))
    pt = np.repeat(np.arange(len(tm)), per_trip)
    t_trip = t0[pt] + 3 * _HOUR + (rng.random(len(pt)) * (dur[pt] - 3 * _HOUR)).astype(np.int64)
    add(tm[pt], t_trip, TRIP, dest[pt])
    margin = 40 * _HOUR
    before = seg_start + (rng.random(len(tm)) * (t0 - margin - seg_start)).astype(np.int64)
    ok = t0 - margin > seg_start
    place = tagged_home(tm[ok], 0.7)
    add(tm[ok], before[ok], np.where(place >= 0, HOME, PROMO), place)
    after_lo = t0 + dur + margin
    after = after_lo + (rng.random(len(tm)) * (seg_start + seg - after_lo)).astype(np.int64)
    ok = seg_start + seg > after_lo
    place = tagged_home(tm[ok], 0.7)
    add(tm[ok], after[ok], np.where(place >= 0, HOME, PROMO), place)

    # Counterfeiters: posts claiming shopping trips they never made, warehouse posts from home,
    # and, after some claims, a post from home a few hours later.
    cf = np.flatnonzero(role == COUNTERFEIT)
    fm = np.repeat(cf, rng.integers(1, 5, len(cf)))
    f_time = uniform_times(fm)
    f_dest = np.array(_ABROAD, dtype=np.int64)[_pick(rng, _DEST_P, len(fm))]
    # A claim next door (Hong Kong from Shenzhen) proves nothing: fake trips go far away.
    near = _home_km(shops.home[fm], f_dest) < _FAR_KM
    f_dest[near] = np.array(_FAR, dtype=np.int64)[_pick(rng, _FAR_P, int(near.sum()))]
    variant = 1 + _pick(rng, np.array([0.45, 0.3, 0.25]), len(fm))
    add(fm, f_time, FAKE_TRIP, f_dest, variant)
    back = variant == 3
    # Back home sooner than a plane could fly it (1,500-4,000 km/h implied).
    km = _home_km(shops.home[fm[back]], f_dest[back])
    gap = (km / rng.uniform(1500.0, 4000.0, len(km)) * _HOUR).astype(np.int64)
    add(fm[back], f_time[back] + gap, RETURN, shops.home[fm[back]])
    wm = np.repeat(cf, np.minimum(rng.poisson(1.5, len(cf)), 6))
    place = tagged_home(wm, 0.5)
    add(wm, uniform_times(wm), np.where(place >= 0, HOME, PROMO), place)

    merchant, time, kind, place, variant = (
        np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, np.int64) for i in range(5)
    )
    order = np.lexsort((kind, time, merchant))
    merchant, time, kind, place, variant = (a[order] for a in (merchant, time, kind, place, variant))
    n = len(merchant)
    # Each post mentions a product the shop lists.
    pick = shops.first_listing[merchant] + (rng.random(n) * shops.n_listings[merchant]).astype(np.int64)
    product = lst.product[pick] if n else np.zeros(0, np.int64)
    lang = shops.lang[merchant]
    t_idx = _TPL_OFF[kind, lang] + (rng.random(n) * _TPL_N[kind, lang]).astype(np.int64)
    safe_place = np.maximum(place, 0)
    place_name = _null_where(_PLACE_NAME.take(pa.array(lang * len(PLACES) + safe_place)), place < 0)
    brand = pc.fill_null(catalog.brand_as_stated(product, lang), "")
    text = pc.binary_join_element_wise(
        _TPL[0].take(pa.array(t_idx)),
        pc.fill_null(place_name, ""),
        _TPL[1].take(pa.array(t_idx)),
        brand,
        _TPL[2].take(pa.array(t_idx)),
        "",
    )
    claimed = _null_where(_PLACE_LABEL.take(pa.array(lang * len(PLACES) + safe_place)), place < 0)
    table = pa.Table.from_arrays(
        [
            _ids(id_prefix, "PO", n),
            shops.owner.take(pa.array(merchant)),
            _ts(time),
            pc.utf8_trim_whitespace(text),
            claimed,
        ],
        schema=TABLES["posts"].arrow_schema(),
    )
    return _Posts(table, merchant, time, kind, place, variant, product, lang)


def _travel_flags(
    shops: _Shops, posts: _Posts
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], Any]:
    """Consecutive claimed places of one member that no plane could link."""
    has = np.flatnonzero(posts.place >= 0)
    owner = shops.owner_code[posts.merchant[has]]
    order = has[np.lexsort((posts.time[has], owner))]
    owner = shops.owner_code[posts.merchant[order]]
    if len(order) < 2:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0), np.zeros(0)
    a, b = order[:-1], order[1:]
    same = owner[:-1] == owner[1:]
    pa_, pb = posts.place[a], posts.place[b]
    dist = haversine_km(_PLACE_LAT[pa_], _PLACE_LON[pa_], _PLACE_LAT[pb], _PLACE_LON[pb])
    hours = (posts.time[b] - posts.time[a]) / _HOUR
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(hours > 0, dist / hours, np.inf)
    bad = same & (dist > MIN_TRAVEL_KM) & (speed > IMPOSSIBLE_SPEED_KMH)
    return a[bad], b[bad], dist[bad], hours[bad]


def _table(name: str, columns: dict[str, list[Any]] | dict[str, Any]) -> pa.Table:
    schema = TRUTH_SCHEMAS[name]
    return pa.Table.from_arrays(
        [
            c if isinstance(c := columns[f.name], pa.Array | pa.ChunkedArray) else pa.array(c, f.type)
            for f in schema
        ],
        schema=schema,
    )


def _concat(name: str, tables: list[pa.Table]) -> pa.Table:
    schema = TRUTH_SCHEMAS[name]
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables).combine_chunks()


def generate_shop_goods(
    seed: np.random.SeedSequence,
    catalog: Catalog,
    merchants: pa.Table,
    case_dir: Path,
    *,
    media: bool,
    start: datetime,
    end: datetime,
    id_prefix: str,
) -> ShopGoods:
    """Listings, posts and (optionally) photos of a chunk of merchants, plus ground truth.

    Same seed, same merchants: the same tables and the same image bytes. ``merchants`` needs
    ``merchant_id``, ``member_id`` (owner), ``role`` and ``opened_at``; ``id_prefix`` keeps IDs
    unique across chunks. Listing, post and media IDs are ``{id_prefix}L…``, ``PO…``, ``IMG…``
    (distinct from members' M… and payments' P…).
    Listings and posts do not depend on ``media`` (pictures use their own random stream), so a
    world generated without media has the same tables. Impossible travel is judged per owner
    within the chunk: an owner whose shops fall in different chunks is not compared across them.
    """
    t_start, t_end = _us(start), _us(end)
    if t_end - t_start < 2 * _DAY:
        raise ValueError("the world's time window must span at least two days")
    shops = _shops(_child(seed, 1), merchants, t_start, t_end)
    lst = _listings(_child(seed, 2), shops, catalog, t_start, t_end, id_prefix)
    posts = _posts(_child(seed, 3), shops, lst, catalog, t_end, id_prefix)

    listing_ids = lst.table["listing_id"].combine_chunks()
    post_ids = posts.table["post_id"].combine_chunks()
    l_merchant = shops.m_id.take(pa.array(lst.merchant))
    genuine = catalog.price_cny[lst.product]
    truth: dict[str, list[pa.Table]] = {name: [] for name in TRUTH_SCHEMAS}
    truth["listing_products"].append(
        _table(
            "listing_products",
            {
                "listing_id": listing_ids,
                "merchant_id": l_merchant,
                "product_id": catalog.product_ids(lst.product),
                "lang": pa.array(LANGS, _S).take(pa.array(lst.lang)),
                "price_kind": pa.array(PRICE_KINDS, _S).take(pa.array(lst.kind)),
                "genuine_price": pa.array(genuine, _F),
                "price_cny": pa.array(lst.price_cny, _F),
                "price_ratio": pa.array(lst.price_cny / genuine, _F),
            },
        )
    )

    # Listing-level flags and look-alikes.
    l_owner = shops.owner.take(pa.array(lst.merchant))
    cheap = np.flatnonzero(lst.kind == 1)
    truth["provenance_flags"].append(
        _table(
            "provenance_flags",
            {
                "entity_id": listing_ids.take(pa.array(cheap)),
                "entity_kind": ["listing"] * len(cheap),
                "merchant_id": l_merchant.take(pa.array(cheap)),
                "member_id": l_owner.take(pa.array(cheap)),
                "kind": ["price_far_below"] * len(cheap),
                "detail": pc.binary_join_element_wise(
                    "price ratio ",
                    pc.cast(pa.array(np.round(lst.price_cny[cheap] / genuine[cheap], 3)), _S),
                    "",
                ),
            },
        )
    )
    honest_cheap = np.flatnonzero(lst.kind >= 2)
    truth["honest_lookalikes"].append(
        _table(
            "honest_lookalikes",
            {
                "entity_id": listing_ids.take(pa.array(honest_cheap)),
                "entity_kind": ["listing"] * len(honest_cheap),
                "merchant_id": l_merchant.take(pa.array(honest_cheap)),
                "kind": pa.array(PRICE_KINDS, _S).take(pa.array(lst.kind[honest_cheap])),
                "related_id": pa.nulls(len(honest_cheap), _S),
                "detail": pa.nulls(len(honest_cheap), _S),
            },
        )
    )

    # Post-level truth.
    p_merchant = shops.m_id.take(pa.array(posts.merchant))
    p_owner = posts.table["member_id"].combine_chunks()
    true_place = np.where(posts.kind == TRIP, posts.place, shops.home[posts.merchant])
    truth["post_places"].append(
        _table(
            "post_places",
            {
                "post_id": post_ids,
                "merchant_id": p_merchant,
                "member_id": p_owner,
                "kind": pa.array(_POST_KINDS, _S).take(pa.array(posts.kind)),
                "claimed_place": _null_where(
                    _PLACE_KEY.take(pa.array(np.maximum(posts.place, 0))), posts.place < 0
                ),
                "true_place": _PLACE_KEY.take(pa.array(true_place)),
            },
        )
    )
    fake = np.flatnonzero(posts.kind == FAKE_TRIP)
    truth["provenance_flags"].append(
        _table(
            "provenance_flags",
            {
                "entity_id": post_ids.take(pa.array(fake)),
                "entity_kind": ["post"] * len(fake),
                "merchant_id": p_merchant.take(pa.array(fake)),
                "member_id": p_owner.take(pa.array(fake)),
                "kind": ["false_place_claim"] * len(fake),
                "detail": pc.binary_join_element_wise(
                    "claims ",
                    _PLACE_KEY.take(pa.array(posts.place[fake])),
                    "; was in ",
                    _PLACE_KEY.take(pa.array(true_place[fake])),
                    "",
                ),
            },
        )
    )
    a, b, dist, hours = _travel_flags(shops, posts)
    truth["provenance_flags"].append(
        _table(
            "provenance_flags",
            {
                "entity_id": post_ids.take(pa.array(b)),
                "entity_kind": ["post"] * len(b),
                "merchant_id": p_merchant.take(pa.array(b)),
                "member_id": p_owner.take(pa.array(b)),
                "kind": ["impossible_travel"] * len(b),
                "detail": pc.binary_join_element_wise(
                    "after ",
                    post_ids.take(pa.array(a)),
                    ": ",
                    _PLACE_KEY.take(pa.array(posts.place[a])),
                    " -> ",
                    _PLACE_KEY.take(pa.array(posts.place[b])),
                    ", ",
                    pc.cast(pa.array(np.round(dist).astype(np.int64)), _S),
                    " km in ",
                    pc.cast(pa.array(np.round(hours, 1)), _S),
                    " h",
                    "",
                ),
            },
        )
    )
    trip = np.flatnonzero(posts.kind == TRIP)
    truth["honest_lookalikes"].append(
        _table(
            "honest_lookalikes",
            {
                "entity_id": post_ids.take(pa.array(trip)),
                "entity_kind": ["post"] * len(trip),
                "merchant_id": p_merchant.take(pa.array(trip)),
                "kind": ["daigou_real_trip"] * len(trip),
                "related_id": pa.nulls(len(trip), _S),
                "detail": _PLACE_KEY.take(pa.array(posts.place[trip])),
            },
        )
    )

    media_table = TABLES["media"].arrow_schema().empty_table()
    if media:
        painter = _Painter(_child(seed, 4), catalog, shops, lst, posts, case_dir, id_prefix)
        media_table = painter.run()
        for name, rows in painter.truth.items():
            if rows:
                truth[name].append(
                    _table(name, {f.name: [r[f.name] for r in rows] for f in TRUTH_SCHEMAS[name]})
                )

    return ShopGoods(
        listings=lst.table,
        posts=posts.table,
        media=media_table,
        truth={name: _concat(name, tables) for name, tables in truth.items()},
    )


# -- media -----------------------------------------------------------------------------


class _Painter:
    """Draws and saves every picture of a chunk, in a fixed order (so bytes are reproducible)."""

    def __init__(
        self,
        rng: np.random.Generator,
        catalog: Catalog,
        shops: _Shops,
        lst: _Listings,
        posts: _Posts,
        case_dir: Path,
        id_prefix: str,
    ) -> None:
        self.rng = rng
        self.catalog = catalog
        self.shops = shops
        self.lst = lst
        self.posts = posts
        self.case_dir = Path(case_dir)
        self.id_prefix = id_prefix
        self.rows: dict[str, list[Any]] = {c: [] for c in TABLES["media"].column_names}
        self.truth: dict[str, list[dict[str, Any]]] = {n: [] for n in TRUTH_SCHEMAS}
        self.paths: dict[str, Path] = {}
        self.listing_ids = lst.table["listing_id"].to_pylist()
        self.post_ids = posts.table["post_id"].to_pylist()
        self.m_ids = shops.m_id.to_pylist()
        self.owners = shops.owner.to_pylist()
        self.styles: dict[int, Any] = {}
        self.products: dict[int, Product] = {}
        self.reuses: list[tuple[str, int, str, int, str]] = []
        self.dirs: set[str] = set()

    # bookkeeping

    def _product(self, index: int) -> Product:
        if index not in self.products:
            self.products[index] = self.catalog.product(index)
        return self.products[index]

    def _style(self, m: int) -> Any:
        if m not in self.styles:
            self.styles[m] = shot_style(int(self.shops.style[m]))
        return self.styles[m]

    def _save(
        self,
        data: bytes,
        m: int,
        context: str,
        ref: str,
        uploaded: int,
        *,
        subject: str,
        product: int | None = None,
        place: str | None = None,
        exif: ExifSpec | None = None,
    ) -> str:
        n = len(self.rows["media_id"])
        media_id = f"{self.id_prefix}IMG{n:07d}"
        bucket = hashlib.blake2b(media_id.encode(), digest_size=1).hexdigest()
        rel = f"media/{bucket}/{media_id}.jpg"
        path = self.case_dir / rel
        if bucket not in self.dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.dirs.add(bucket)
        path.write_bytes(data)
        self.paths[media_id] = path
        for key, value in (
            ("media_id", media_id),
            ("path", rel),
            ("owner_id", self.owners[m]),
            ("context", context),
            ("ref_id", ref),
            ("uploaded_at", _to_dt(uploaded)),
        ):
            self.rows[key].append(value)
        gps = exif.gps if exif is not None else None
        self.truth["media_facts"].append(
            {
                "media_id": media_id,
                "merchant_id": self.m_ids[m],
                "subject": subject,
                "product_id": None if product is None else str(self.catalog.product_id[product]),
                "place": place,
                "has_exif": exif is not None,
                "software": exif.software if exif is not None else None,
                "gps_lat": gps[0] if gps else None,
                "gps_lon": gps[1] if gps else None,
            }
        )
        return media_id

    def _flag(self, entity: str, m: int, kind: str, detail: str) -> None:
        self.truth["provenance_flags"].append(
            {
                "entity_id": entity,
                "entity_kind": "media",
                "merchant_id": self.m_ids[m],
                "member_id": self.owners[m],
                "kind": kind,
                "detail": detail,
            }
        )

    def _lookalike(
        self, entity: str, m: int, kind: str, related: str | None = None, detail: str | None = None
    ) -> None:
        self.truth["honest_lookalikes"].append(
            {
                "entity_id": entity,
                "entity_kind": "media",
                "merchant_id": self.m_ids[m],
                "kind": kind,
                "related_id": related,
                "detail": detail,
            }
        )

    def _near(self, place: Place, km: float) -> tuple[float, float]:
        """A point within ``km`` of a place (uniform over the disc)."""
        r = km * float(np.sqrt(self.rng.random()))
        theta = float(self.rng.uniform(0, 2 * np.pi))
        dlat = r * np.cos(theta) / 111.2
        dlon = r * np.sin(theta) / (111.2 * max(0.2, float(np.cos(np.radians(place.lat)))))
        return (round(place.lat + dlat, 6), round(place.lon + dlon, 6))

    def _phone_exif(
        self,
        m: int,
        taken_utc: int,
        place: Place,
        *,
        gps: tuple[float, float] | None,
        software: str | None = None,
        offset_place: Place | None = None,
    ) -> ExifSpec:
        make, model = CAMERAS[int(self.shops.camera[m])]
        clock = offset_place or place
        local = _to_dt(taken_utc).replace(tzinfo=None) + timedelta(hours=clock.utc_offset)
        return ExifSpec(make, model, local, clock.utc_offset, software=software, gps=gps)

    # what gets drawn

    def _own_product_photo(self, m: int, product: int, context: str, ref: str, when: int) -> str:
        rng = self.rng
        img = render_product(self._product(product), self._style(m), int(rng.integers(0, 2**31 - 1)))
        home = PLACES[int(self.shops.home[m])]
        taken = when - int(rng.uniform(0.2, 48) * _HOUR)
        u = rng.random()
        exif: ExifSpec | None = None
        software = FILTER_APPS[int(rng.integers(0, len(FILTER_APPS)))] if u > 0.9 else None
        if u >= 0.3:
            gps = self._near(home, 8.0) if rng.random() < 0.7 else None
            exif = self._phone_exif(m, taken, home, gps=gps, software=software)
        data = encode_jpeg(img, exif, int(rng.integers(78, 90)))
        mid = self._save(data, m, context, ref, when, subject="product", product=product, exif=exif)
        if exif is None:
            self._lookalike(mid, m, "exif_stripped")
        elif software:
            self._lookalike(mid, m, "honest_filter_app", detail=software)
        return mid

    def run(self) -> pa.Table:
        rng = self.rng
        lst, shops, posts = self.lst, self.shops, self.posts
        fake_role = shops.role == COUNTERFEIT
        # 1. Honest shops photograph their own goods.
        by_product: dict[int, list[tuple[str, int]]] = {}
        by_category: dict[int, list[tuple[str, int]]] = {}
        honest_media: list[tuple[str, int]] = []
        for i in range(len(lst.merchant)):
            m = int(lst.merchant[i])
            if fake_role[m]:
                continue
            product = int(lst.product[i])
            for _ in range(1 + int(rng.random() < 0.25)):
                mid = self._own_product_photo(m, product, "listing", self.listing_ids[i], int(lst.listed[i]))
                entry = (mid, m)
                by_product.setdefault(product, []).append(entry)
                by_category.setdefault(int(self.catalog.category_idx[product]), []).append(entry)
                honest_media.append(entry)
        self._same_product_lookalikes(by_product)

        # 2. Pools of forged receipts and parcel photos, each shared by several fake shops.
        fakes = np.flatnonzero(fake_role)
        n_pool = max(1, -(-len(fakes) // 4))
        receipt_of = {int(m): int(rng.integers(0, n_pool)) for m in fakes}
        delivery_of = {int(m): int(rng.integers(0, n_pool)) for m in fakes}
        receipts = [self._forged_receipt(k) for k in range(n_pool)] if len(fakes) else []
        parcels = (
            [
                encode_jpeg(
                    render_delivery(int(rng.integers(0, 2**31 - 1)), ["EXPRESS", "TO: customer", "FRAGILE"]),
                    None,
                    85,
                )
                for _ in range(n_pool)
            ]
            if len(fakes)
            else []
        )

        # 3. Counterfeit listings: stolen photos.
        for i in range(len(lst.merchant)):
            m = int(lst.merchant[i])
            if not fake_role[m]:
                continue
            product = int(lst.product[i])
            for _ in range(1 + int(rng.random() < 0.2)):
                self._stolen_photo(i, m, product, by_product, by_category, honest_media)
            if rng.random() < 0.25:
                self._reuse(receipts, receipt_of[m], m, "receipt", self.listing_ids[i], int(lst.listed[i]))

        # 4. Posts.
        for j in range(len(posts.merchant)):
            self._post_media(j, receipts, receipt_of, parcels, delivery_of)
        self._flag_reuse()

        schema = TABLES["media"].arrow_schema()
        return pa.Table.from_pydict(self.rows, schema=schema)

    def _same_product_lookalikes(self, by_product: dict[int, list[tuple[str, int]]]) -> None:
        for product in sorted(by_product):
            shots = by_product[product]
            if len({m for _, m in shots}) < 2:
                continue
            for mid, m in shots:
                other = next(o for o, om in shots if om != m)
                self._lookalike(
                    mid,
                    m,
                    "own_photo_same_product",
                    related=other,
                    detail=str(self.catalog.product_id[product]),
                )

    def _forged_receipt(self, k: int) -> bytes:
        rng = self.rng
        place = PLACES[_ABROAD[int(_pick(rng, _DEST_P, 1)[0])]]
        brand = self.catalog.brands[int(rng.integers(0, len(self.catalog.brands)))]
        items = [
            (f"{brand.code}-{int(rng.integers(1000, 9999))}", f"{rng.uniform(90, 2400):.2f}")
            for _ in range(int(rng.integers(1, 4)))
        ]
        total = f"{sum(float(p) for _, p in items):.2f}"
        when = datetime(2024, 1, 1) + timedelta(days=float(rng.uniform(0, 600)))
        img = render_receipt(
            int(rng.integers(0, 2**31 - 1)),
            f"{brand.name} boutique",
            f"{int(rng.integers(1, 80))} {place.name_in('it')}",
            when,
            items,
            total,
        )
        return encode_jpeg(img, None, 85)

    def _reuse(self, pool: list[bytes], k: int, m: int, context: str, ref: str, when: int) -> None:
        data = pool[k]
        how = "identical file"
        if self.rng.random() < 0.5:
            img = Image.open(io.BytesIO(data)).convert("RGB")
            f = float(self.rng.uniform(0.8, 1.0))
            img = img.resize((int(img.width * f), int(img.height * f)), Image.Resampling.BILINEAR)
            data = encode_jpeg(img, None, int(self.rng.integers(70, 88)))
            how = "re-encoded"
        mid = self._save(data, m, context, ref, when, subject=context)
        self.reuses.append((mid, m, context, k, how))

    def _flag_reuse(self) -> None:
        """Flag every use of a pooled receipt or parcel photo that two or more shops used."""
        shops: dict[tuple[str, int], set[int]] = {}
        for _, m, context, k, _ in self.reuses:
            shops.setdefault((context, k), set()).add(m)
        for mid, m, context, k, how in self.reuses:
            n = len(shops[(context, k)])
            if n >= 2:
                kind = "reused_receipt" if context == "receipt" else "reused_delivery"
                self._flag(mid, m, kind, f"{context} photo #{k} used by {n} shops ({how})")

    def _stolen_photo(
        self,
        i: int,
        m: int,
        product: int,
        by_product: dict[int, list[tuple[str, int]]],
        by_category: dict[int, list[tuple[str, int]]],
        honest_media: list[tuple[str, int]],
    ) -> None:
        rng = self.rng
        when = int(self.lst.listed[i])
        ref = self.listing_ids[i]
        cands = (
            by_product.get(product)
            or by_category.get(int(self.catalog.category_idx[product]))
            or honest_media
        )
        if not cands:
            self._own_product_photo(m, product, "listing", ref, when)
            return
        src, src_m = cands[int(rng.integers(0, len(cands)))]
        with Image.open(self.paths[src]) as opened:
            img = opened.convert("RGB")
        price = self.lst.price_local[i]
        sticker = f"{'¥' if self.lst.currency[i] == 'CNY' else ''}{price:.0f}"
        edited, edits = edit_copy(img, rng, sticker)
        exif: ExifSpec | None = None
        if rng.random() < 0.35:
            software = EDITORS[int(rng.integers(0, len(EDITORS)))]
            home = PLACES[int(self.shops.home[m])]
            exif = self._phone_exif(
                m, when - int(rng.uniform(0.1, 5) * _HOUR), home, gps=None, software=software
            )
            edits.append("software")
        data = encode_jpeg(edited, exif, int(rng.integers(60, 86)))
        mid = self._save(data, m, "listing", ref, when, subject="product", product=product, exif=exif)
        self.truth["media_copies"].append(
            {
                "media_id": mid,
                "source_media_id": src,
                "merchant_id": self.m_ids[m],
                "source_merchant_id": self.m_ids[src_m],
                "edits": "+".join(edits),
            }
        )
        self._flag(mid, m, "copied_photo", f"copy of {src} ({'+'.join(edits)})")
        if exif is not None:
            self._flag(mid, m, "edited_exif", f"Software={exif.software}")

    def _post_media(
        self,
        j: int,
        receipts: list[bytes],
        receipt_of: dict[int, int],
        parcels: list[bytes],
        delivery_of: dict[int, int],
    ) -> None:
        rng = self.rng
        posts = self.posts
        m = int(posts.merchant[j])
        kind = int(posts.kind[j])
        when = int(posts.time[j])
        ref = self.post_ids[j]
        product = int(posts.product[j])
        home = PLACES[int(self.shops.home[m])]
        fake_shop = self.shops.role[m] == COUNTERFEIT
        if kind in (PROMO, HOME) and not fake_shop:
            if self.shops.role[m] == DAIGOU and rng.random() < 0.5:
                img = render_delivery(int(rng.integers(0, 2**31 - 1)), ["EMS", f"TO: {home.name}", "DAIGOU"])
                taken = when - int(rng.uniform(0.1, 6) * _HOUR)
                exif = None
                if rng.random() >= 0.3:
                    exif = self._phone_exif(m, taken, home, gps=self._near(home, 8.0))
                data = encode_jpeg(img, exif, int(rng.integers(78, 90)))
                mid = self._save(
                    data, m, "delivery", ref, when, subject="delivery", place=home.key, exif=exif
                )
                if exif is None:
                    self._lookalike(mid, m, "exif_stripped")
            elif rng.random() < 0.5:
                self._own_product_photo(m, product, "post", ref, when)
            return
        if kind in (PROMO, HOME, RETURN):  # counterfeit posts from home
            if kind == RETURN:  # "back home": a warehouse shot whose GPS is home, hours later
                img = render_product(self._product(product), self._style(m), int(rng.integers(0, 2**31 - 1)))
                taken = when - int(rng.uniform(2, 30) * 60 * _US)
                exif = self._phone_exif(m, taken, home, gps=self._near(home, 8.0))
                data = encode_jpeg(img, exif, int(rng.integers(78, 90)))
                self._save(
                    data, m, "post", ref, when, subject="product", product=product, place=home.key, exif=exif
                )
            if rng.random() < 0.5:
                self._reuse(parcels, delivery_of[m], m, "delivery", ref, when)
            return
        place = PLACES[int(posts.place[j])]
        brand = self._product(product).brand
        img = render_street(int(posts.place[j]), int(rng.integers(0, 2**31 - 1)), brand.short)
        minutes = rng.uniform(5, 30) if posts.variant[j] == 3 else rng.uniform(5, 180)
        taken = when - int(minutes * 60 * _US)
        if kind == TRIP:  # a real trip: everything agrees
            exif = None
            if rng.random() >= 0.2:
                exif = self._phone_exif(m, taken, place, gps=self._near(place, 2.0))
            data = encode_jpeg(img, exif, int(rng.integers(78, 90)))
            mid = self._save(data, m, "origin", ref, when, subject="street", place=place.key, exif=exif)
            self._lookalike(mid, m, "daigou_real_trip", related=ref, detail=place.key)
            if exif is None:
                self._lookalike(mid, m, "exif_stripped")
            if rng.random() < 0.35:
                self._real_receipt(m, place, ref, when, taken, product)
            return
        # A fake trip.
        variant = int(posts.variant[j])
        if variant == 1:  # GPS says home
            gps = self._near(home, 8.0)
            exif = self._phone_exif(m, taken, home, gps=gps)
            data = encode_jpeg(img, exif, int(rng.integers(78, 90)))
            mid = self._save(data, m, "origin", ref, when, subject="street", place=place.key, exif=exif)
            km = haversine_km(place.lat, place.lon, gps[0], gps[1])
            self._flag(
                mid,
                m,
                "spoofed_gps",
                f"post {ref} claims {place.key}; GPS {km:.0f} km away near {home.key}",
            )
        elif variant == 2:  # GPS says abroad, but the file went through an editor
            software = EDITORS[int(rng.integers(0, len(EDITORS)))]
            shift = float(rng.uniform(3, 72)) * (1 if rng.random() < 0.5 else -1)
            good = self._phone_exif(m, taken, place, gps=self._near(place, 2.0))
            exif = ExifSpec(
                good.make,
                good.model,
                good.taken_local + timedelta(hours=shift),
                good.utc_offset,
                software=software,
                gps=good.gps,
                gps_time=good.taken_local - timedelta(hours=good.utc_offset),
            )
            data = encode_jpeg(img, exif, int(rng.integers(78, 90)))
            mid = self._save(data, m, "origin", ref, when, subject="street", place=place.key, exif=exif)
            self._flag(
                mid,
                m,
                "edited_exif",
                f"Software={software}; DateTimeOriginal {shift:+.1f} h off the GPS time",
            )
        else:  # a GPS-faking app: the photo agrees with the claim, the next post does not
            exif = self._phone_exif(m, taken, place, gps=self._near(place, 2.0))
            data = encode_jpeg(img, exif, int(rng.integers(78, 90)))
            self._save(data, m, "origin", ref, when, subject="street", place=place.key, exif=exif)
        if rng.random() < 0.5:
            self._reuse(receipts, receipt_of[m], m, "receipt", ref, when)

    def _real_receipt(self, m: int, place: Place, ref: str, when: int, taken: int, product: int) -> None:
        rng = self.rng
        p = self._product(product)
        local_price = p.price_cny / 7.8
        img = render_receipt(
            int(rng.integers(0, 2**31 - 1)),
            f"{p.brand.name}",
            f"{int(rng.integers(1, 80))} {place.name_in('it')}",
            _to_dt(taken).replace(tzinfo=None) + timedelta(hours=place.utc_offset),
            [(p.model, f"{local_price:.2f}")],
            f"{local_price:.2f}",
        )
        exif = self._phone_exif(m, taken, place, gps=self._near(place, 2.0))
        data = encode_jpeg(img, exif, int(rng.integers(78, 90)))
        mid = self._save(
            data, m, "receipt", ref, when, subject="receipt", product=product, place=place.key, exif=exif
        )
        self._lookalike(mid, m, "daigou_real_trip", related=ref, detail=place.key)
