"""Title normalisation: width, case, units in three languages, model numbers, GTINs."""

from __future__ import annotations

import unicodedata

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.compare._text import normalise, normalise_gtin, tokenise


def tokens_of(title: str) -> set[str]:
    t = tokenise(pa.array([title]))
    return {t.vocabulary[int(i)].as_py() for i in t.ids[t.indptr[0] : t.indptr[1]]}


def codes_of(title: str) -> set[str]:
    t = tokenise(pa.array([title]))
    return {t.vocabulary[int(i)].as_py() for i in t.code_ids[t.code_indptr[0] : t.code_indptr[1]]}


def quantities_of(title: str) -> list[float]:
    t = tokenise(pa.array([title]))
    return t.qty_value[t.qty_indptr[0] : t.qty_indptr[1]].tolist()


def test_model_numbers_written_four_ways_are_one_code() -> None:
    forms = ["Kairo KR-7624A", "Kairo KR7624A", "Kairo KR 7624A", "kairo kr-7624a", "ＫＲ－７６２４Ａ 凯罗"]
    assert all(codes_of(form) == {"c:kr7624a"} for form in forms)


def test_a_lower_case_word_before_a_quantity_is_not_a_model_number() -> None:
    # "bank 20000mah" and "Vale 800g" must stay a word and a capacity, not codes.
    assert codes_of("Sonique Power bank 20000 mAh nero") == set()
    assert quantities_of("Sonique Power bank 20000 mAh nero") == [20000.0]
    assert codes_of("Vale 800g Latte") == set()
    assert quantities_of("Vale 800g Latte") == [800.0]
    # but a model number with a one-letter suffix that is also a unit stays a model number
    assert codes_of("Kairo KR 6778L 65 W") == {"c:kr6778l"} and quantities_of("Kairo KR 6778L 65 W") == [65.0]


def test_units_in_chinese_english_and_italian_are_one_quantity() -> None:
    assert tokens_of("防晒乳 90毫升") & tokens_of("Sunscreen 90 ml") & tokens_of("Crema solare 90ml")
    assert quantities_of("充电宝 20000毫安") == quantities_of("Power bank 20000mAh") == [20000.0]
    assert quantities_of("Vitamina C 150 capsule") == quantities_of("维C 150粒") == [150.0]


def test_chinese_runs_become_bigrams_and_latin_words_are_stemmed() -> None:
    assert {"w:充电", "w:电宝"} <= tokens_of("快充充电宝")
    assert "w:alimen" in tokens_of("Alimentatore") and "w:alimen" in tokens_of("alimentatori")


def test_formats_and_years_are_not_model_numbers() -> None:
    assert codes_of("TV 1080p 2019s 21st") == set()


def test_gtins_are_normalised_to_fourteen_digits_or_null() -> None:
    got = normalise_gtin(
        pa.array(["4905666000004", "0-08148-50000-06", "abc", None, "000", "00000000000000"])
    )
    assert got.to_pylist() == ["04905666000004", "00081485000006", None, None, None, None]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=60)), max_size=12))
def test_any_text_tokenises_into_valid_sorted_sets(titles: list[str | None]) -> None:
    t = tokenise(pa.array(titles, pa.string()))
    assert t.n == len(titles) and t.indptr[0] == 0 and t.indptr[-1] == len(t.ids)
    for i in range(t.n):
        row = t.ids[t.indptr[i] : t.indptr[i + 1]]
        assert (row[1:] > row[:-1]).all()  # sorted and unique
        codes = set(t.code_ids[t.code_indptr[i] : t.code_indptr[i + 1]].tolist())
        assert codes <= set(row.tolist())
        assert (t.primary_code[i] == -1) == (not codes)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -", max_size=40))
def test_full_width_titles_tokenise_like_their_ascii_form(title: str) -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in title)
    assert unicodedata.normalize("NFKC", wide) == title
    assert tokens_of(wide) == tokens_of(title)
    assert normalise(pa.array([wide])).to_pylist() == normalise(pa.array([title])).to_pylist()


def test_hostile_titles_are_cut_not_choked_on() -> None:
    huge = "充电宝" * 200_000 + " KR-7624A"
    t = tokenise(pa.array([huge, "x" * 1_000_000, "\x00\x01 KR-7624A \u202e"]))
    assert t.n == 3
    assert len(t.ids[t.indptr[0] : t.indptr[1]]) <= 40  # bigrams of the first run only
    assert codes_of("\x00\x01 KR-7624A \u202e") == {"c:kr7624a"}


def test_quantities_are_spelled_one_way_in_the_token_set() -> None:
    assert {"q:90ml", "q:100ml"} <= tokens_of("防晒乳 90毫升 100ml")
    assert {"q:40vol", "q:700ml"} <= tokens_of("Vodka 40% vol 700 ml")
    assert "q:55in" in tokens_of('TV 55" 4K')
    assert quantities_of("Power bank 65w 20000mah 10000 mAh") == [10000.0, 20000.0, 65.0]
