"""Vectorised formatting: integers in, contract-typed Arrow columns out.

Everything is generated as integers (indices, keys, microseconds, 1/10,000 currency units) and
turned into strings or decimals only here, in bulk, so no row ever passes through Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

US = 1_000_000
DAY_US = 86_400 * US
HOUR_US = 3_600 * US
MINUTE_US = 60 * US
MONEY_UNIT = 10_000  # decimal128(18, 4)

TIMESTAMP = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 4)

IntArray = np.ndarray
# ASCII digits of 0..10**g-1 packed little-endian, as the word a g-digit group is stored as
_DIGITS = {
    g: np.array(
        [int.from_bytes(f"{i:0{g}d}".encode(), "little") for i in range(10**g)],
        dtype={4: np.uint32, 2: np.uint16, 1: np.uint8}[g],
    )
    for g in (1, 2, 4)
}


def fixed(prefix: str, numbers: IntArray, width: int, suffix: str = "") -> pa.Array:
    """``prefix`` + zero-padded number + ``suffix``, written straight into an Arrow buffer.

    Every string has the same byte length, so the offsets are an arithmetic series and the
    bytes are a packed record array: each group of four digits is one lookup in a table of
    ASCII words, stored into its (unaligned) field. No row passes through Python.
    """
    pre, suf = prefix.encode(), suffix.encode()
    n, p = len(numbers), len(pre)
    w = p + width + len(suf)
    groups: list[int] = []
    rest = width
    while rest > 0:
        g = 4 if rest >= 4 else 2 if rest >= 2 else 1
        groups.append(g)
        rest -= g
    names, formats, offsets = [], [], []
    pos = p + width
    for i, g in enumerate(groups):  # from the right
        pos -= g
        names.append(f"g{i}")
        formats.append({4: "<u4", 2: "<u2", 1: "u1"}[g])
        offsets.append(pos)
    if pre:
        names.append("pre")
        formats.append(f"S{len(pre)}")
        offsets.append(0)
    if suf:
        names.append("suf")
        formats.append(f"S{len(suf)}")
        offsets.append(p + width)
    rec = np.empty(n, dtype=np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": w}))
    if pre:
        rec["pre"] = pre
    if suf:
        rec["suf"] = suf
    x: np.ndarray = np.asarray(numbers, dtype=np.int64)
    for i, g in enumerate(groups):
        if x.dtype == np.int64 and (n == 0 or int(x.max()) < 2**32):
            x = x.astype(np.uint32)  # cheaper division once the rest fits
        x, r = np.divmod(x, 10**g)
        rec[f"g{i}"] = _DIGITS[g][r]
    data = rec.view(np.uint8)
    if (n + 1) * w < 2**31:
        offs = np.arange(0, (n + 1) * w, w, dtype=np.int32)
        return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offs), pa.py_buffer(data)])
    big = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    arr = pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(big), pa.py_buffer(data)])
    return arr.cast(pa.string())


def ids(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    """``prefix`` + zero-padded number: IDs sort and read like a real export's."""
    return fixed(prefix, numbers, width)


def opt_ids(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    """As :func:`ids`, with negative numbers as nulls."""
    numbers = np.asarray(numbers, dtype=np.int64)
    out = ids(prefix, np.maximum(numbers, 0), width)
    return nullify(out, numbers < 0)


def nullify(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    """Mark ``mask`` rows null by swapping in a validity bitmap (no copy of the values)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return arr
    if arr.null_count or arr.offset or isinstance(arr, pa.ChunkedArray):
        return pc.if_else(pa.array(mask), pa.nulls(len(arr), arr.type), arr)
    valid = pa.py_buffer(np.packbits(~mask, bitorder="little"))
    buffers = arr.buffers()
    return pa.Array.from_buffers(arr.type, len(arr), [valid, *buffers[1:]], null_count=int(mask.sum()))


def money(units: IntArray) -> pa.Array:
    """Decimal amounts built straight from scaled integers: exact, and no per-row Decimal."""
    units = np.ascontiguousarray(units, dtype=np.int64)
    pairs = np.empty((len(units), 2), dtype=np.int64)
    pairs[:, 0] = units
    pairs[:, 1] = np.where(units < 0, -1, 0)
    return pa.Array.from_buffers(MONEY, len(units), [None, pa.py_buffer(pairs.tobytes())])


def timestamps(us: IntArray, null: np.ndarray | None = None) -> pa.Array:
    """UTC microsecond timestamps; ``null`` marks missing values."""
    arr = pa.array(np.asarray(us, dtype=np.int64), type=pa.int64()).cast(TIMESTAMP)
    return arr if null is None else nullify(arr, null)


def ints(values: IntArray, null: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(np.asarray(values, dtype=np.int32))
    return arr if null is None else nullify(arr, null)


def pick(words: Sequence[str], index: IntArray, null: np.ndarray | None = None) -> pa.Array:
    """Strings from a small vocabulary by index (a dictionary lookup done by Arrow)."""
    arr = pa.array(list(words), pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))
    return arr if null is None else nullify(arr, null)


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def mix64(keys: IntArray, salt: int = 0) -> np.ndarray:
    """splitmix64: a stateless hash, so an attribute is a function of an entity's key alone."""
    x = np.asarray(keys, dtype=np.uint64) + np.uint64((0x9E3779B97F4A7C15 * (salt + 1)) % 2**64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def scramble(keys: IntArray, width: int, salt: int) -> np.ndarray:
    """A bijection on [0, 10**width): unique keys stay unique, but no longer look sequential."""
    if width > 12:
        raise ValueError("scramble supports at most 12 digits")
    modulus = 10**width
    mult = (0x5DEECE66D * (2 * salt + 1)) % modulus
    while np.gcd(mult, 10) != 1:
        mult += 1
    k = np.asarray(keys, dtype=np.int64) % modulus
    # (mult * k) mod 10**width without overflow: split the multiplier at 10**6
    m_hi, m_lo = divmod(mult, 10**6)
    out = ((m_hi * k) % modulus) * 10**6 % modulus + (m_lo * k) % modulus
    return np.asarray((out + 7919 * (salt + 1)) % modulus, dtype=np.int64)


def phones(keys: IntArray) -> pa.Array:
    return fixed("+86 1", scramble(keys, 10, 1), 10)


def id_numbers(keys: IntArray) -> pa.Array:
    return fixed("3101", scramble(keys, 12, 2), 12, "X")


def devices(keys: IntArray) -> pa.Array:
    return fixed("DEV-", scramble(keys, 12, 3), 12)


def bank_accounts(keys: IntArray) -> pa.Array:
    return fixed("6222 ", scramble(keys, 12, 4), 12)


def tracking_numbers(keys: IntArray) -> pa.Array:
    return fixed("SF", scramble(keys, 12, 5), 12)


_CITIES = (
    "上海市浦东新区",
    "北京市朝阳区",
    "广州市天河区",
    "深圳市南山区",
    "杭州市西湖区",
    "成都市武侯区",
    "南京市鼓楼区",
    "武汉市洪山区",
    "Milano MI",
    "Roma RM",
    "Torino TO",
    "Hong Kong Kowloon",
)
_ROADS = ("人民路", "中山路", "解放路", "建设路", "和平路", "Via Roma", "Corso Italia", "Nathan Rd")


_STREETS = tuple(
    f"{city} {road}" for i, city in enumerate(_CITIES) for road in (_ROADS[:5] if i < 8 else _ROADS[5:])
)


def addresses(keys: IntArray) -> pa.Array:
    """A distinct delivery address per key (a bijection), so only a shared key shares one."""
    s = scramble(keys, 10, 11)
    street = s % len(_STREETS)
    rest = s // len(_STREETS)
    return join(pick(_STREETS, street), fixed(" ", rest % 1000, 3, "-"), fixed("", rest // 1000, 6))


_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "Marco",
    "Giulia",
    "Luca",
    "Sofia",
    "Wei",
    "Li Na",
    "Chen Jie",
    "Anna",
    "Paolo",
    "Mei",
)
_FAMILY = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "Rossi",
    "Bianchi",
    "Ferrari",
    "Wang",
    "Zhang",
)


def names(keys: IntArray) -> pa.Array:
    h = mix64(keys, 13)
    fam_i = (h % np.uint64(len(_FAMILY))).astype(np.int64)
    g = ((h >> np.uint64(20)) % np.uint64(150)).astype(np.int64)
    fam = pick(_FAMILY, fam_i)
    giv = pick(_GIVEN, np.where(fam_i < 10, g % 15, 15 + g % 10))
    return join(fam, " ", giv)
