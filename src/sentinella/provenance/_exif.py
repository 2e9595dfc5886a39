"""EXIF fields that say when, where and with what a photo was taken, read with Pillow.

Only what a check needs: capture time and its UTC offset, GPS (latitude, longitude, altitude,
GPS time, DOP), make, model, lens and software. Anything a reader cannot parse (a zero
denominator, minutes of 75, a latitude of 91, no N/S reference, a date of 0000:00:00) gives no
value and a note saying what was wrong, never a guessed one. Missing EXIF is not a note: chat
apps strip it from honest photos every day.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

IFD_EXIF, IFD_GPS = 0x8769, 0x8825
MAKE, MODEL, SOFTWARE, DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
DATETIME_ORIGINAL, DATETIME_DIGITIZED = 0x9003, 0x9004
OFFSET_ORIGINAL, OFFSET_DIGITIZED, OFFSET_TIME = 0x9011, 0x9012, 0x9010
SUBSEC_ORIGINAL = 0x9291
LENS_MAKE, LENS_MODEL = 0xA433, 0xA434
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 0x0001, 0x0002, 0x0003, 0x0004
GPS_ALT_REF, GPS_ALT, GPS_TIME, GPS_DOP, GPS_DATE = 0x0005, 0x0006, 0x0007, 0x000B, 0x001D
MAX_TEXT = 200

_STAMP = re.compile(r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")


@dataclass
class ExifRecord:
    """What one photo's EXIF says; None where it says nothing (or nothing readable)."""

    has_exif: bool = False
    taken_local: datetime | None = None  # naive wall-clock time of capture
    utc_offset_minutes: int | None = None
    taken_utc: datetime | None = None  # only when the offset is known
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_alt: float | None = None
    gps_time: datetime | None = None  # UTC
    gps_dop: float | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    software: str | None = None
    notes: list[str] = field(default_factory=list)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", " ").strip()
    return text[:MAX_TEXT] or None


def _number(value: Any) -> float | None:
    """A finite float from an EXIF rational or integer, else None (0/0, 1/0, junk)."""
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _stamp(value: Any) -> datetime | None:
    text = _text(value)
    match = _STAMP.match(text or "")
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _offset_minutes(value: Any) -> int | None:
    match = _OFFSET.match(_text(value) or "")
    if not match:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes)
    if total > 14 * 60 or int(minutes) >= 60:
        return None
    return -total if sign == "-" else total


def _dms(value: Any, limit: float) -> float | None:
    """Degrees, minutes, seconds (three rationals) as decimal degrees within [0, limit]."""
    if not isinstance(value, tuple | list) or not 1 <= len(value) <= 3:
        return None
    parts = [_number(v) for v in value]
    if any(p is None or p < 0 for p in parts):
        return None
    numbers = [float(p) for p in parts if p is not None] + [0.0, 0.0]
    degrees, minutes, seconds = numbers[:3]
    if minutes >= 60 or seconds >= 60.5:
        return None
    decimal = degrees + minutes / 60.0 + seconds / 3600.0
    return decimal if decimal <= limit else None


def _gps(gps: Any, record: ExifRecord) -> None:
    lat_raw, lon_raw = gps.get(GPS_LAT), gps.get(GPS_LON)
    if lat_raw is not None or lon_raw is not None:
        lat, lon = _dms(lat_raw, 90.0), _dms(lon_raw, 180.0)
        lat_ref, lon_ref = (
            (_text(gps.get(GPS_LAT_REF)) or "").upper(),
            (_text(gps.get(GPS_LON_REF)) or "").upper(),
        )
        if lat is None or lon is None:
            record.notes.append("GPS position unreadable or out of range: no coordinate")
        elif lat_ref[:1] not in ("N", "S") or lon_ref[:1] not in ("E", "W"):
            record.notes.append("GPS position without its N/S or E/W reference: no coordinate")
        elif lat == 0.0 and lon == 0.0:
            record.notes.append("GPS position 0,0 (no fix): no coordinate")
        else:
            record.gps_lat = -lat if lat_ref.startswith("S") else lat
            record.gps_lon = -lon if lon_ref.startswith("W") else lon
    alt = _number(gps.get(GPS_ALT)) if gps.get(GPS_ALT) is not None else None
    if alt is not None:
        ref = gps.get(GPS_ALT_REF)
        below = (ref[0] if isinstance(ref, bytes) and ref else ref) == 1
        record.gps_alt = -alt if below else alt
    dop = gps.get(GPS_DOP)
    if dop is not None:
        record.gps_dop = _number(dop)
    time_raw, date_raw = gps.get(GPS_TIME), _text(gps.get(GPS_DATE))
    if time_raw is not None and date_raw:
        parts = [_number(v) for v in time_raw] if isinstance(time_raw, tuple | list) else []
        match = re.match(r"^(\d{4}):(\d{2}):(\d{2})", date_raw)
        if len(parts) == 3 and all(p is not None and p >= 0 for p in parts) and match:
            h, m, s = (float(p) for p in parts if p is not None)
            try:
                year, month, date = (int(g) for g in match.groups())
                day = datetime(year, month, date)
                if h < 24 and m < 60 and s < 61:
                    record.gps_time = day + timedelta(hours=h, minutes=m, seconds=s)
            except ValueError:
                pass
        if record.gps_time is None:
            record.notes.append("GPS time stamp unreadable: no GPS time")


def read_exif(img: Image.Image) -> ExifRecord:
    """The photo's capture, GPS and device fields, with a note for each unreadable one."""
    record = ExifRecord()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pillow's "Corrupt EXIF data": noted below
        return _read(img, record)


def _read(img: Image.Image, record: ExifRecord) -> ExifRecord:
    try:
        exif = img.getexif()
    except Exception as error:  # Pillow raises many types on a malformed TIFF structure
        record.notes.append(f"EXIF unreadable ({type(error).__name__}): ignored")
        return record
    if not exif:
        return record
    record.has_exif = True
    try:
        sub: Any = exif.get_ifd(IFD_EXIF)
    except Exception:
        sub = {}
        record.notes.append("EXIF sub-IFD unreadable: no capture time or lens")
    try:
        gps: Any = exif.get_ifd(IFD_GPS)
    except Exception:
        gps = {}
        record.notes.append("GPS IFD unreadable: no position")
    record.make, record.model = _text(exif.get(MAKE)), _text(exif.get(MODEL))
    record.software = _text(exif.get(SOFTWARE))
    record.lens = _text(sub.get(LENS_MODEL))
    raw_taken = sub.get(DATETIME_ORIGINAL) or sub.get(DATETIME_DIGITIZED)
    record.taken_local = _stamp(raw_taken)
    if raw_taken is not None and record.taken_local is None:
        record.notes.append(f"capture time {_text(raw_taken)!r} unreadable: no capture time")
    offset = sub.get(OFFSET_ORIGINAL) or sub.get(OFFSET_DIGITIZED) or sub.get(OFFSET_TIME)
    record.utc_offset_minutes = _offset_minutes(offset)
    if offset is not None and record.utc_offset_minutes is None:
        record.notes.append(f"time-zone offset {_text(offset)!r} unreadable: capture time kept local")
    if record.taken_local is not None and record.utc_offset_minutes is not None:
        utc = record.taken_local - timedelta(minutes=record.utc_offset_minutes)
        record.taken_utc = utc.replace(tzinfo=UTC)
    if gps:
        _gps(gps, record)
    if record.gps_time is not None:
        record.gps_time = record.gps_time.replace(tzinfo=UTC)
    return record
