"""A small gazetteer for cross-border social commerce, and great-circle distances.

Provenance checks need to turn a claim such as "Shopping in Milano today!" or "米兰代购" into
coordinates and compare them with a photo's GPS; the synthetic world generator needs the same
places so that what it plants is exactly what the checks can find. The list is deliberately
short: the Chinese cities where micro-merchants ship from, the shopping capitals and outlet
villages personal shoppers (daigou) fly to, and the duty-free hubs. Offsets are standard time
(no daylight saving) because the generator writes the offset it used into EXIF anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import overload

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088

COUNTRY_NAMES: dict[str, tuple[str, str, str]] = {
    # ISO 3166 alpha-2 -> (English, Chinese, Italian)
    "CN": ("China", "中国", "Cina"),
    "HK": ("Hong Kong", "中国香港", "Hong Kong"),
    "MO": ("Macau", "中国澳门", "Macao"),
    "TW": ("Taiwan", "中国台湾", "Taiwan"),
    "JP": ("Japan", "日本", "Giappone"),
    "KR": ("South Korea", "韩国", "Corea del Sud"),
    "SG": ("Singapore", "新加坡", "Singapore"),
    "TH": ("Thailand", "泰国", "Thailandia"),
    "MY": ("Malaysia", "马来西亚", "Malesia"),
    "AE": ("United Arab Emirates", "阿联酋", "Emirati Arabi Uniti"),
    "IT": ("Italy", "意大利", "Italia"),
    "FR": ("France", "法国", "Francia"),
    "GB": ("United Kingdom", "英国", "Regno Unito"),
    "ES": ("Spain", "西班牙", "Spagna"),
    "DE": ("Germany", "德国", "Germania"),
    "CH": ("Switzerland", "瑞士", "Svizzera"),
    "NL": ("Netherlands", "荷兰", "Paesi Bassi"),
    "BE": ("Belgium", "比利时", "Belgio"),
    "AT": ("Austria", "奥地利", "Austria"),
    "CZ": ("Czechia", "捷克", "Repubblica Ceca"),
    "US": ("United States", "美国", "Stati Uniti"),
    "CA": ("Canada", "加拿大", "Canada"),
    "AU": ("Australia", "澳大利亚", "Australia"),
    "NZ": ("New Zealand", "新西兰", "Nuova Zelanda"),
}

_LANGS = ("en", "zh", "it")


@dataclass(frozen=True)
class Place:
    """A named place; ``aliases[0:3]`` are its English, Chinese and Italian names."""

    key: str
    country: str
    lat: float
    lon: float
    utc_offset: float
    kind: str  # "city", "outlet" (designer outlet village) or "duty_free"
    aliases: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.aliases[0]

    def name_in(self, lang: str) -> str:
        """The place's name in ``lang`` ("en", "zh" or "it")."""
        return self.aliases[_LANGS.index(lang)]

    def label(self, lang: str = "en") -> str:
        """How a post would state the place, e.g. "Milan, Italy", "意大利米兰", "Milano, Italia"."""
        country = COUNTRY_NAMES[self.country][_LANGS.index(lang)]
        name = self.name_in(lang)
        if lang == "zh":
            return name if country.endswith(name) else country + name
        return name if name == country else f"{name}, {country}"


def _p(
    key: str,
    country: str,
    lat: float,
    lon: float,
    offset: float,
    *aliases: str,
    kind: str = "city",
) -> Place:
    return Place(key, country, lat, lon, offset, kind, aliases)


PLACES: tuple[Place, ...] = (
    # Mainland China: where micro-merchants live and ship from.
    _p("guangzhou", "CN", 23.1291, 113.2644, 8, "Guangzhou", "广州", "Canton", "Kwangchow"),
    _p("shenzhen", "CN", 22.5431, 114.0579, 8, "Shenzhen", "深圳", "Shenzhen"),
    _p("shanghai", "CN", 31.2304, 121.4737, 8, "Shanghai", "上海", "Shanghai", "Sciangai"),
    _p("beijing", "CN", 39.9042, 116.4074, 8, "Beijing", "北京", "Pechino", "Peking"),
    _p("hangzhou", "CN", 30.2741, 120.1551, 8, "Hangzhou", "杭州", "Hangzhou"),
    _p("yiwu", "CN", 29.3069, 120.0753, 8, "Yiwu", "义乌", "Yiwu"),
    _p("putian", "CN", 25.4540, 119.0078, 8, "Putian", "莆田", "Putian"),
    _p("dongguan", "CN", 23.0207, 113.7518, 8, "Dongguan", "东莞", "Dongguan"),
    _p("xiamen", "CN", 24.4798, 118.0894, 8, "Xiamen", "厦门", "Xiamen", "Amoy"),
    _p("chengdu", "CN", 30.5728, 104.0668, 8, "Chengdu", "成都", "Chengdu"),
    _p("wuhan", "CN", 30.5928, 114.3055, 8, "Wuhan", "武汉", "Wuhan"),
    _p("nanjing", "CN", 32.0603, 118.7969, 8, "Nanjing", "南京", "Nanchino"),
    _p("suzhou", "CN", 31.2989, 120.5853, 8, "Suzhou", "苏州", "Suzhou"),
    _p("tianjin", "CN", 39.3434, 117.3616, 8, "Tianjin", "天津", "Tientsin"),
    _p("chongqing", "CN", 29.4316, 106.9123, 8, "Chongqing", "重庆", "Chongqing"),
    _p("xian", "CN", 34.3416, 108.9398, 8, "Xi'an", "西安", "Xi'an", "Xian"),
    _p("qingdao", "CN", 36.0671, 120.3826, 8, "Qingdao", "青岛", "Qingdao"),
    _p("zhuhai", "CN", 22.2707, 113.5767, 8, "Zhuhai", "珠海", "Zhuhai"),
    _p("fuzhou", "CN", 26.0745, 119.2965, 8, "Fuzhou", "福州", "Fuzhou"),
    _p("quanzhou", "CN", 24.8741, 118.6757, 8, "Quanzhou", "泉州", "Quanzhou"),
    _p("jinjiang", "CN", 24.7814, 118.5521, 8, "Jinjiang", "晋江", "Jinjiang"),
    _p("wenzhou", "CN", 27.9939, 120.6994, 8, "Wenzhou", "温州", "Wenzhou"),
    _p("shantou", "CN", 23.3541, 116.6819, 8, "Shantou", "汕头", "Shantou"),
    _p("changsha", "CN", 28.2282, 112.9388, 8, "Changsha", "长沙", "Changsha"),
    _p("zhengzhou", "CN", 34.7466, 113.6254, 8, "Zhengzhou", "郑州", "Zhengzhou"),
    _p("ningbo", "CN", 29.8683, 121.5440, 8, "Ningbo", "宁波", "Ningbo"),
    _p("haikou", "CN", 20.0440, 110.1999, 8, "Haikou", "海口", "Haikou", kind="duty_free"),
    _p("sanya", "CN", 18.2528, 109.5119, 8, "Sanya", "三亚", "Sanya", kind="duty_free"),
    # Greater China and Asian shopping / duty-free hubs.
    _p("hong_kong", "HK", 22.3193, 114.1694, 8, "Hong Kong", "香港", "Hong Kong", kind="duty_free"),
    _p("macau", "MO", 22.1987, 113.5439, 8, "Macau", "澳门", "Macao", kind="duty_free"),
    _p("taipei", "TW", 25.0330, 121.5654, 8, "Taipei", "台北", "Taipei"),
    _p("tokyo", "JP", 35.6762, 139.6503, 9, "Tokyo", "东京", "Tokyo", "Tokio", "東京"),
    _p("osaka", "JP", 34.6937, 135.5023, 9, "Osaka", "大阪", "Osaka"),
    _p("kyoto", "JP", 35.0116, 135.7681, 9, "Kyoto", "京都", "Kyoto"),
    _p("fukuoka", "JP", 33.5904, 130.4017, 9, "Fukuoka", "福冈", "Fukuoka", "福岡"),
    _p("sapporo", "JP", 43.0618, 141.3545, 9, "Sapporo", "札幌", "Sapporo"),
    _p("nagoya", "JP", 35.1815, 136.9066, 9, "Nagoya", "名古屋", "Nagoya"),
    _p("naha", "JP", 26.2124, 127.6809, 9, "Naha", "那霸", "Naha", "Okinawa", "冲绳"),
    _p("seoul", "KR", 37.5665, 126.9780, 9, "Seoul", "首尔", "Seul", "汉城"),
    _p("busan", "KR", 35.1796, 129.0756, 9, "Busan", "釜山", "Pusan"),
    _p("jeju", "KR", 33.4996, 126.5312, 9, "Jeju", "济州", "Jeju", kind="duty_free"),
    _p("incheon", "KR", 37.4563, 126.7052, 9, "Incheon", "仁川", "Incheon", kind="duty_free"),
    _p("singapore", "SG", 1.3521, 103.8198, 8, "Singapore", "新加坡", "Singapore", kind="duty_free"),
    _p("bangkok", "TH", 13.7563, 100.5018, 7, "Bangkok", "曼谷", "Bangkok"),
    _p("kuala_lumpur", "MY", 3.1390, 101.6869, 8, "Kuala Lumpur", "吉隆坡", "Kuala Lumpur"),
    _p("dubai", "AE", 25.2048, 55.2708, 4, "Dubai", "迪拜", "Dubai", kind="duty_free"),
    # Europe: fashion capitals and outlet villages.
    _p("milan", "IT", 45.4642, 9.1900, 1, "Milan", "米兰", "Milano"),
    _p("rome", "IT", 41.9028, 12.4964, 1, "Rome", "罗马", "Roma"),
    _p("florence", "IT", 43.7696, 11.2558, 1, "Florence", "佛罗伦萨", "Firenze"),
    _p("venice", "IT", 45.4408, 12.3155, 1, "Venice", "威尼斯", "Venezia"),
    _p(
        "serravalle",
        "IT",
        44.7230,
        8.8590,
        1,
        "Serravalle Outlet",
        "塞拉瓦莱",
        "Serravalle Scrivia",
        "Serravalle Designer Outlet",
        kind="outlet",
    ),
    _p("paris", "FR", 48.8566, 2.3522, 1, "Paris", "巴黎", "Parigi"),
    _p("london", "GB", 51.5074, -0.1278, 0, "London", "伦敦", "Londra"),
    _p(
        "bicester",
        "GB",
        51.8980,
        -1.1530,
        0,
        "Bicester Village",
        "比斯特",
        "Bicester",
        kind="outlet",
    ),
    _p("barcelona", "ES", 41.3874, 2.1686, 1, "Barcelona", "巴塞罗那", "Barcellona"),
    _p("madrid", "ES", 40.4168, -3.7038, 1, "Madrid", "马德里", "Madrid"),
    _p("munich", "DE", 48.1351, 11.5820, 1, "Munich", "慕尼黑", "Monaco di Baviera", "München"),
    _p("berlin", "DE", 52.5200, 13.4050, 1, "Berlin", "柏林", "Berlino"),
    _p("frankfurt", "DE", 50.1109, 8.6821, 1, "Frankfurt", "法兰克福", "Francoforte"),
    _p("metzingen", "DE", 48.5369, 9.2857, 1, "Metzingen", "麦琴根", "Metzingen", kind="outlet"),
    _p("zurich", "CH", 47.3769, 8.5417, 1, "Zurich", "苏黎世", "Zurigo", "Zürich"),
    _p("geneva", "CH", 46.2044, 6.1432, 1, "Geneva", "日内瓦", "Ginevra", "Genève"),
    _p("lucerne", "CH", 47.0502, 8.3093, 1, "Lucerne", "琉森", "Lucerna", "Luzern", "卢塞恩"),
    _p("amsterdam", "NL", 52.3676, 4.9041, 1, "Amsterdam", "阿姆斯特丹", "Amsterdam"),
    _p("brussels", "BE", 50.8503, 4.3517, 1, "Brussels", "布鲁塞尔", "Bruxelles"),
    _p("vienna", "AT", 48.2082, 16.3738, 1, "Vienna", "维也纳", "Vienna", "Wien"),
    _p("prague", "CZ", 50.0755, 14.4378, 1, "Prague", "布拉格", "Praga"),
    # North America.
    _p("new_york", "US", 40.7128, -74.0060, -5, "New York", "纽约", "New York", "NYC"),
    _p(
        "woodbury",
        "US",
        41.3187,
        -74.1257,
        -5,
        "Woodbury Common",
        "伍德伯里",
        "Woodbury Common",
        kind="outlet",
    ),
    _p("los_angeles", "US", 34.0522, -118.2437, -8, "Los Angeles", "洛杉矶", "Los Angeles"),
    _p("san_francisco", "US", 37.7749, -122.4194, -8, "San Francisco", "旧金山", "San Francisco"),
    _p("las_vegas", "US", 36.1699, -115.1398, -8, "Las Vegas", "拉斯维加斯", "Las Vegas"),
    _p("honolulu", "US", 21.3069, -157.8583, -10, "Honolulu", "檀香山", "Honolulu", "Hawaii"),
    _p("orlando", "US", 28.5383, -81.3792, -5, "Orlando", "奥兰多", "Orlando"),
    _p("vancouver", "CA", 49.2827, -123.1207, -8, "Vancouver", "温哥华", "Vancouver"),
    _p("toronto", "CA", 43.6532, -79.3832, -5, "Toronto", "多伦多", "Toronto"),
    # Oceania: infant formula and supplements.
    _p("sydney", "AU", -33.8688, 151.2093, 10, "Sydney", "悉尼", "Sydney"),
    _p("melbourne", "AU", -37.8136, 144.9631, 10, "Melbourne", "墨尔本", "Melbourne"),
    _p("brisbane", "AU", -27.4698, 153.0251, 10, "Brisbane", "布里斯班", "Brisbane"),
    _p("auckland", "NZ", -36.8485, 174.7633, 12, "Auckland", "奥克兰", "Auckland"),
)

_BY_KEY: dict[str, Place] = {place.key: place for place in PLACES}
_LATIN = "A-Za-zÀ-ÖØ-öø-ÿ"


def get_place(key: str) -> Place:
    """The place with this key (e.g. "milan"); a KeyError names the known keys."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown place {key!r} (known: {', '.join(_BY_KEY)})") from None


def places_in(country: str) -> tuple[Place, ...]:
    """Every place in the country with this ISO 3166 alpha-2 code."""
    return tuple(place for place in PLACES if place.country == country.upper())


@cache
def _matcher() -> tuple[re.Pattern[str], dict[str, Place]]:
    by_alias: dict[str, Place] = {}
    for place in PLACES:
        for alias in place.aliases:
            by_alias.setdefault(alias.casefold(), place)
    parts = []
    for alias in sorted(by_alias, key=lambda a: (-len(a), a)):
        escaped = re.escape(alias)
        if re.search(f"[{_LATIN}]", alias):
            # Latin names must stand alone ("Roma" is not inside "Romania"); CJK names need not.
            escaped = f"(?<![{_LATIN}]){escaped}(?![{_LATIN}])"
        parts.append(escaped)
    return re.compile("|".join(parts), re.IGNORECASE), by_alias


def geocode_all(text: str | None) -> list[Place]:
    """Every place named in ``text``, in order of appearance (repeats removed)."""
    if not text:
        return []
    pattern, by_alias = _matcher()
    found: list[Place] = []
    for match in pattern.finditer(text):
        place = by_alias[match.group(0).casefold()]
        if place not in found:
            found.append(place)
    return found


def geocode(text: str | None) -> Place | None:
    """The first place named in free text ("Shopping in Milano today!" -> Milan), if any."""
    places = geocode_all(text)
    return places[0] if places else None


@overload
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...


@overload
def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]: ...


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> float | npt.NDArray[np.float64]:
    """Great-circle distance in km; broadcasts over numpy arrays, floats give a float."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    out: npt.NDArray[np.float64] = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    if out.ndim == 0:
        return float(out)
    return out
