"""Titles as integer token sets: normalisation, model numbers, quantities, GTINs (pyarrow compute).

Every step is a vectorised Arrow kernel over the whole column (RE2 regular expressions, Unicode
NFKC, list flattening), so a million titles are tokenised without a Python loop per row:

- NFKC folds full-width letters and digits ("ＫＲ－７６２４Ａ") to ASCII, then lower case;
- units in Chinese, English and Italian become one spelling ("90毫升", "90 ml" → ``90ml``), and a
  number with a unit becomes a *quantity* token, compared as unit and value;
- a short letter prefix split from its digits ("KR 7624A", "kr-7624a") is joined: tokens with
  letters and at least three digits are *model numbers*;
- runs of Chinese or Japanese characters become character bigrams (no spaces to split on);
  Latin words longer than six letters are cut to six (a cheap stem for "alimentatore/i").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"

# (pattern after a number, canonical unit). Longest spellings first within a family.
UNITS: tuple[tuple[str, str], ...] = (
    ("毫升|ml|millilitri", "ml"),
    ("毫安时|毫安|mah", "mah"),
    ("毫米|mm", "mm"),
    ("厘米|cm", "cm"),
    ("千克|公斤|kg", "kg"),
    ("毫克|mg", "mg"),
    ("克|grammi|gr|g", "g"),
    ("升|litri|litro|l", "l"),
    ("片装|片|pezzi|pz|pcs|pieces|pack", "pcs"),
    ("粒|capsule|capsules|caps|cps", "caps"),
    ("vol|度", "vol"),
    ("瓦|watt|w", "w"),
    ("伏|volt|v", "v"),
    ("gb", "gb"),
    ("tb", "tb"),
    ("英寸|inch|in", "in"),
    ("oz", "oz"),
    ("hz", "hz"),
)
# Every spelling → its canonical unit; longest first, so "毫升" wins over "升" and "mah" over "m".
_ALIASES: dict[str, str] = {alias: unit for pattern, unit in UNITS for alias in pattern.split("|")}
_ALIAS_ALT = "|".join(sorted(_ALIASES, key=len, reverse=True))
_CANONICAL = sorted(set(_ALIASES.values()))
_ALIAS_LIST = pa.array(list(_ALIASES), pa.string())
_ALIAS_UNIT = np.array([_CANONICAL.index(unit) for unit in _ALIASES.values()], dtype=np.int64)

# Tokens that look like model numbers but name a format or a year.
_NOT_CODES = r"^(\d{3,4}[pik]|\d+(st|nd|rd|th)|(19|20)\d\ds)$"
STEM = 6
MAX_CHARS = 500
MAX_RUN = 40  # characters of one CJK run that become bigrams
QTY = "ǫ"  # marks a number with a unit, so "bank 20000mah" is not read as model "bank20000mah"


@dataclass
class Tokens:
    """Each listing's token ids in CSR form (sorted, unique per listing), with kinds.

    ``indptr``/``ids``: every token (words, bigrams, codes, quantities); ``code_*``: the model
    numbers only; ``qty_*``: quantities as (unit, value) pairs; ``df``: each token id's document
    frequency; ``primary_code``: the longest model number of each listing (-1 if none).
    """

    n: int
    indptr: npt.NDArray[np.int64]
    ids: npt.NDArray[np.int64]
    df: npt.NDArray[np.int64]
    code_indptr: npt.NDArray[np.int64]
    code_ids: npt.NDArray[np.int64]
    qty_indptr: npt.NDArray[np.int64]
    qty_unit: npt.NDArray[np.int64]
    qty_value: npt.NDArray[np.float64]
    primary_code: npt.NDArray[np.int64]
    vocabulary: pa.Array


def normalise(titles: pa.Array | pa.ChunkedArray) -> pa.Array:
    """NFKC, lower case, units spelled one way and glued to their number, model numbers joined."""
    text = pc.fill_null(titles, "")
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    # Titles are short; a hostile 1 MB "title" is cut instead of costing minutes.
    text = pc.utf8_normalize(pc.utf8_slice_codeunits(text, 0, MAX_CHARS), "NFKC")
    # Model numbers first, while case still tells them apart: "KR 6778L" (2-4 upper-case letters, a
    # space) and "kr-6778l" (any case, a hyphen) → "kr6778l"; "Vale 800g" stays a quantity.
    text = pc.replace_substring_regex(text, r"(^|[^A-Za-z0-9])([A-Z]{2,4}) (\d{3,}[A-Z]{0,3})\b", r"\1\2\3")
    text = pc.replace_substring_regex(
        text, r"(^|[^A-Za-z0-9])([A-Za-z]{1,4})[\-_/.](\d{3,}[A-Za-z]{0,3})\b", r"\1\2\3"
    )
    text = pc.utf8_lower(text)
    # Space between scripts: "充电头65w" → "充电头 65w", "kairo凯罗" → "kairo 凯罗".
    text = pc.replace_substring_regex(text, rf"([{CJK}])([a-z0-9])", r"\1 \2")
    text = pc.replace_substring_regex(text, rf"([a-z])([{CJK}])", r"\1 \2")
    text = pc.replace_substring_regex(text, r"(\d),(\d)", r"\1.\2")
    # A number with a unit, not glued to letters before it (those are model numbers), marked
    # with QTY; the unit is put in canonical form per token. Two passes: a match eats the
    # character after it, which the next quantity would need as its left edge.
    text = pc.replace_substring_regex(text, r"(\d) ?% ?vol", r"\1vol ")
    text = pc.replace_substring_regex(text, r'(\d) ?"', r"\1in ")
    for _ in range(2):
        text = pc.replace_substring_regex(
            text, rf"(^|[^a-z0-9.{QTY}])(\d+(?:\.\d+)?) ?({_ALIAS_ALT})(?:$|[^a-z0-9])", rf"\1{QTY}\2\3 "
        )
    text = pc.replace_substring_regex(text, r"([a-z0-9])-([a-z0-9])", r"\1\2")
    return text


def normalise_gtin(gtin: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Digits only, zero-padded to 14 (GTIN-8/12/13/14 compare equal); NULL unless 8-14 digits."""
    digits = pc.replace_substring_regex(pc.cast(gtin, pa.string()), r"[^0-9]", "")
    length = pc.utf8_length(digits)
    ok = pc.and_(pc.greater_equal(length, 8), pc.less_equal(length, 14))
    padded = pc.utf8_lpad(digits, 14, "0")
    result = pc.if_else(pc.and_(ok, pc.not_equal(padded, "0" * 14)), padded, pa.scalar(None, pa.string()))
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def _bigrams(tokens: pa.Array, parents: npt.NDArray[np.int64]) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    """Character bigrams of each CJK token (a one-character token stays as it is)."""
    length = pc.utf8_length(tokens).to_numpy(zero_copy_only=False).astype(np.int64)
    if len(tokens) == 0:
        return tokens, parents
    pieces: list[pa.Array] = []
    owners: list[npt.NDArray[np.int64]] = []
    single = np.flatnonzero(length == 1)
    pieces.append(tokens.take(pa.array(single)))
    owners.append(parents[single])
    for start in range(int(length.max()) - 1):
        rows = np.flatnonzero(length >= start + 2)
        piece = pc.utf8_slice_codeunits(tokens.take(pa.array(rows)), start, start + 2)
        pieces.append(piece)
        owners.append(parents[rows])
    return pa.concat_arrays([p.cast(pa.string()) for p in pieces]), np.concatenate(owners)


def tokenise(titles: pa.Array | pa.ChunkedArray) -> Tokens:
    """Every title as sorted unique token ids, model numbers and quantities (see :class:`Tokens`)."""
    text = normalise(titles)
    n = len(text)
    split = pc.split_pattern_regex(text, r"[^\p{L}\p{N}.%]+")
    flat = pc.list_flatten(split)
    parents = pc.list_parent_indices(split).to_numpy().astype(np.int64)
    flat = pc.utf8_trim(flat, ".")
    keep = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    flat, parents = flat.filter(pa.array(keep)), parents[keep]

    qty_parts = pc.extract_regex(flat, rf"^{QTY}(?P<value>\d+(?:\.\d+)?)(?P<unit>{_ALIAS_ALT})$")
    is_qty = pc.is_valid(qty_parts).to_numpy(zero_copy_only=False)
    is_cjk = pc.match_substring_regex(flat, rf"[{CJK}]").to_numpy(zero_copy_only=False) & ~is_qty
    has_digit = pc.match_substring_regex(flat, r"\d").to_numpy(zero_copy_only=False)
    has_letter = pc.match_substring_regex(flat, r"[a-z]").to_numpy(zero_copy_only=False)
    digits = pc.utf8_length(pc.replace_substring_regex(flat, r"\D", "")).to_numpy(zero_copy_only=False)
    not_code = pc.match_substring_regex(flat, _NOT_CODES).to_numpy(zero_copy_only=False)
    is_code = has_letter & has_digit & (digits >= 3) & ~is_qty & ~is_cjk & ~not_code

    # Latin words: cut to STEM letters; CJK runs: bigrams; codes and quantities as they are.
    latin = ~is_cjk & ~is_code & ~is_qty
    words = pc.if_else(pa.array(latin), pc.utf8_slice_codeunits(flat, 0, STEM), flat)
    # Quantities spelled canonically ("90毫升" and "90 ml" are one token "90ml").
    unit_of = pc.fill_null(pc.index_in(pc.struct_field(qty_parts, "unit"), _ALIAS_LIST), 0)
    unit_index = _ALIAS_UNIT[np.asarray(unit_of.to_numpy(zero_copy_only=False), dtype=np.int64)]
    canonical = pc.binary_join_element_wise(
        pc.struct_field(qty_parts, "value"), pa.array(_CANONICAL, pa.string()).take(pa.array(unit_index)), ""
    )
    words = pc.if_else(pa.array(is_qty), canonical, words)
    cjk_rows = np.flatnonzero(is_cjk)
    runs = pc.utf8_slice_codeunits(words.take(pa.array(cjk_rows)), 0, MAX_RUN)
    grams, gram_parents = _bigrams(runs, parents[cjk_rows])
    rest = np.flatnonzero(~is_cjk)
    kinds = np.zeros(len(flat), dtype=np.int8)  # 0 word, 1 code, 2 quantity
    kinds[is_code] = 1
    kinds[is_qty] = 2
    prefixed = pc.binary_join_element_wise(
        pa.array(np.array(["w", "c", "q"])[kinds[rest]]), words.take(pa.array(rest)), ":"
    )
    all_tokens = pa.concat_arrays([prefixed, pc.binary_join_element_wise("w", grams, ":")])
    all_parents = np.concatenate([parents[rest], gram_parents])

    encoded = pc.dictionary_encode(all_tokens)
    token_ids = encoded.indices.to_numpy().astype(np.int64)
    vocabulary = encoded.dictionary
    indptr, ids = _csr(all_parents, token_ids, n)
    df = np.bincount(ids, minlength=len(vocabulary)).astype(np.int64)

    code_rows = np.flatnonzero(is_code)
    code_tok = pc.binary_join_element_wise("c", flat.take(pa.array(code_rows)), ":")
    code_ids = pc.index_in(code_tok, vocabulary).to_numpy(zero_copy_only=False).astype(np.int64)
    code_indptr, code_sorted = _csr(parents[code_rows], code_ids, n)
    code_len = pc.utf8_length(flat.take(pa.array(code_rows))).to_numpy(zero_copy_only=False)
    primary = np.full(n, -1, dtype=np.int64)
    if len(code_rows):
        order = np.lexsort((code_ids, -code_len, parents[code_rows]))
        owner = parents[code_rows][order]
        first = np.r_[True, owner[1:] != owner[:-1]]
        primary[owner[first]] = code_ids[order][first]

    qty_rows = np.flatnonzero(is_qty)
    parts = qty_parts.filter(pa.array(is_qty))
    units = pc.struct_field(parts, "unit")
    alias_of = pc.index_in(units, _ALIAS_LIST).to_numpy(zero_copy_only=False)
    unit_codes = _ALIAS_UNIT[np.asarray(alias_of, dtype=np.int64)]
    values = pc.cast(pc.struct_field(parts, "value"), pa.float64()).to_numpy(zero_copy_only=False)
    q_owner = parents[qty_rows]
    order = np.lexsort((values, unit_codes, q_owner))
    q_owner, q_unit, q_value = q_owner[order], unit_codes[order].astype(np.int64), values[order]
    q_indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(q_indptr, q_owner + 1, 1)
    q_indptr = np.cumsum(q_indptr)
    return Tokens(
        n=n,
        indptr=indptr,
        ids=ids,
        df=df,
        code_indptr=code_indptr,
        code_ids=code_sorted,
        qty_indptr=q_indptr,
        qty_unit=q_unit,
        qty_value=q_value.astype(np.float64),
        primary_code=primary,
        vocabulary=vocabulary,
    )


def _csr(
    owner: npt.NDArray[np.int64], token: npt.NDArray[np.int64], n: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sorted, de-duplicated (owner, token) pairs as a CSR row pointer and column ids."""
    if len(owner) == 0:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = np.unique(owner.astype(np.int64) * (int(token.max()) + 1) + token)
    width = int(token.max()) + 1
    rows, cols = key // width, key % width
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    return np.cumsum(indptr), cols.astype(np.int64)
