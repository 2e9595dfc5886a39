from __future__ import annotations

import numpy as np
import pytest

from sentinella.geo import PLACES, geocode, geocode_all, get_place, haversine_km, places_in


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Shopping in Milano today!", "milan"),
        ("今天在米兰扫货！", "milan"),
        ("Just landed in MILAN", "milan"),
        ("Oggi a Monaco di Baviera", "munich"),
        ("刚回广州，今天发货", "guangzhou"),
        ("In diretta da Parigi: nuovi arrivi", "paris"),
        ("Serravalle Designer Outlet haul", "serravalle"),
        ("飞抵东京，明天去银座", "tokyo"),
    ],
)
def test_geocode_finds_aliases_in_free_text(text: str, key: str) -> None:
    place = geocode(text)
    assert place is not None
    assert place.key == key


@pytest.mark.parametrize("text", ["A trip to Romania", "nothing here", "", None, "Milanese cooking"])
def test_geocode_does_not_match_inside_words(text: str | None) -> None:
    assert geocode(text) is None


def test_geocode_all_keeps_order_of_appearance() -> None:
    assert [p.key for p in geocode_all("From Paris to 米兰 and back to Paris")] == [
        "paris",
        "milan",
    ]


def test_every_label_geocodes_back_to_its_place() -> None:
    for place in PLACES:
        for lang in ("en", "zh", "it"):
            assert geocode(place.label(lang)) == place, (place.key, lang, place.label(lang))


def test_aliases_are_unambiguous_and_trilingual() -> None:
    owner: dict[str, str] = {}
    for place in PLACES:
        assert len(place.aliases) >= 3
        for alias in place.aliases:
            previous = owner.setdefault(alias.casefold(), place.key)
            assert previous == place.key, alias
    assert 60 <= len(PLACES) <= 100
    assert get_place("milan").aliases[:3] == ("Milan", "米兰", "Milano")
    assert all(p.country == "CN" for p in places_in("cn"))
    with pytest.raises(KeyError, match="unknown place"):
        get_place("atlantis")


def test_haversine_known_distances() -> None:
    milan, guangzhou = get_place("milan"), get_place("guangzhou")
    d = haversine_km(milan.lat, milan.lon, guangzhou.lat, guangzhou.lon)
    assert isinstance(d, float)
    assert 9100 < d < 9300  # Milan-Guangzhou is about 9,200 km
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.19, abs=0.01)
    assert haversine_km(10.0, 20.0, 10.0, 20.0) == 0.0


def test_haversine_vectorised_matches_scalar() -> None:
    rng = np.random.default_rng(0)
    lat1, lat2 = rng.uniform(-80, 80, (2, 50))
    lon1, lon2 = rng.uniform(-180, 180, (2, 50))
    out = haversine_km(lat1, lon1, lat2, lon2)
    assert out.shape == (50,)
    expected = [
        haversine_km(float(a), float(b), float(c), float(d))
        for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)
    ]
    assert np.allclose(out, expected)
    # Broadcasting: one point against many.
    assert haversine_km(45.0, 9.0, lat2, lon2).shape == (50,)
    assert np.allclose(haversine_km(lat1, lon1, lat2, lon2), haversine_km(lat2, lon2, lat1, lon1))
