"""A small gazetteer for cross-border social commerce, and great-circle distances.

Provenance checks need to turn a claim such as "Shopping in Milano today!" or "米兰代购" into
coordinates and compare them with a photo's GPS; the synthetic world generator needs the same
places so that what it plants is exactly what the checks can find. The list is deliberately
short: the Chinese cities where micro-merchants ship from, the shopping capitals and outlet
villages personal shoppers (daigou) fly to, and the duty-free hubs. Offsets are standard time
(no daylight saving) because the generator writes the offset it used into EXIF anyway.
"""

from __future__ import annotations

from ._places import (
    COUNTRY_NAMES,
    EARTH_RADIUS_KM,
    PLACES,
    Place,
    geocode,
    geocode_all,
    get_place,
    haversine_km,
    places_in,
)

__all__ = [
    "COUNTRY_NAMES",
    "EARTH_RADIUS_KM",
    "PLACES",
    "Place",
    "geocode",
    "geocode_all",
    "get_place",
    "haversine_km",
    "places_in",
]
