"""A fictional product catalog, and the many ways merchants title the same product.

Comparison has to recognise one product listed by many merchants under different titles
(Chinese, English or Italian; brand transliterated or not; "CL-4820" or "CL4820"; marketing
words around it), and the counterfeit checks need each product's genuine market price. The
catalog gives both, with brands that are invented (no real trademark is used) but shaped like the
categories WeChat micro-merchants sell: skincare, cosmetics, handbags, watches, sneakers, infant
formula, supplements, electronics accessories and liquor.

Titles are composed with pyarrow compute over integer choices, so a world with tens of
millions of listings never formats a title in a Python loop.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CATEGORIES",
    "COLOURS",
    "LANGS",
    "Brand",
    "Catalog",
    "Product",
    "ProductType",
    "build_catalog",
    "gtin13_check_digit",
    "is_valid_gtin13",
]

LANGS: tuple[str, ...] = ("zh", "en", "it")
"""Title languages; a listing's ``lang`` code indexes this tuple."""

CATEGORIES: tuple[str, ...] = (
    "skincare",
    "cosmetics",
    "handbags",
    "watches",
    "sneakers",
    "infant_formula",
    "supplements",
    "electronics",
    "liquor",
)

_CATEGORY_WEIGHTS = (0.18, 0.14, 0.12, 0.08, 0.12, 0.09, 0.11, 0.11, 0.05)


@dataclass(frozen=True)
class Brand:
    """An invented brand; ``alt_zh`` is a second transliteration merchants also use."""

    name: str
    name_zh: str
    alt_zh: str
    short: str
    category: str
    country: str
    code: str  # letters that start its model numbers
    tier: float  # price multiplier within the category


@dataclass(frozen=True)
class ProductType:
    """A kind of product; ``names`` holds (zh, en, it) lists of ways to call it."""

    key: str
    category: str
    names: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    price_cny: tuple[float, float]
    specs: tuple[tuple[int, str], ...]
    coloured: bool
    shape: str  # what the image renderer draws


@dataclass(frozen=True)
class Product:
    """One sellable item (a SKU) with its genuine market price in CNY."""

    index: int
    product_id: str
    brand: Brand
    type: ProductType
    model: str
    spec: str
    colour: int  # index into COLOURS, -1 when the type has no colour
    gtin: str
    price_cny: float

    @property
    def category(self) -> str:
        return self.type.category


COLOURS: tuple[tuple[str, str, str, tuple[int, int, int]], ...] = (
    # (zh, en, it, RGB used by the image renderer)
    ("黑色", "Black", "nero", (30, 30, 34)),
    ("白色", "White", "bianco", (236, 236, 232)),
    ("红色", "Red", "rosso", (178, 34, 40)),
    ("米色", "Beige", "beige", (214, 196, 160)),
    ("棕色", "Brown", "marrone", (120, 78, 48)),
    ("藏青色", "Navy", "blu navy", (30, 42, 92)),
    ("粉色", "Pink", "rosa", (232, 160, 180)),
    ("绿色", "Green", "verde", (48, 110, 72)),
    ("银色", "Silver", "argento", (182, 186, 192)),
    ("金色", "Gold", "oro", (200, 164, 76)),
    ("灰色", "Grey", "grigio", (122, 124, 128)),
)

_UNITS: dict[str, tuple[str, str, str]] = {
    "ml": ("毫升", "ml", "ml"),
    "g": ("克", "g", "g"),
    "pcs": ("片装", "pcs", "pz"),
    "caps": ("粒", "caps", "capsule"),
    "mm": ("毫米", "mm", "mm"),
    "cm": ("厘米", "cm", "cm"),
    "mAh": ("毫安", "mAh", "mAh"),
    "W": ("W", "W", "W"),
    "%vol": ("度", "% vol", "% vol"),
}

_GS1_PREFIX = {
    "CN": "693",
    "IT": "801",
    "FR": "340",
    "JP": "490",
    "KR": "880",
    "CH": "761",
    "NZ": "942",
    "AU": "930",
    "DE": "400",
    "US": "008",
    "GB": "501",
    "ES": "841",
    "SE": "731",
    "NL": "871",
}


def _b(name: str, zh: str, alt: str, short: str, cat: str, country: str, code: str, tier: float) -> Brand:
    return Brand(name, zh, alt, short, cat, country, code, tier)


BRANDS: tuple[Brand, ...] = (
    _b("Maison Élodie", "伊洛蒂", "艾洛迪", "Élodie", "skincare", "FR", "ME", 1.4),
    _b("Kirei Lab", "绮丽研", "绮蕾", "Kirei", "skincare", "JP", "KL", 1.0),
    _b("Dewha Seoul", "露华", "德华首尔", "Dewha", "skincare", "KR", "DW", 0.8),
    _b("Aqualis", "雅可丽", "阿奎丽丝", "Aqualis", "skincare", "CH", "AQ", 1.6),
    _b("Verdane", "维丹", "薇丹", "Verdane", "skincare", "IT", "VD", 1.1),
    _b("Hanbit Skin", "韩彼", "汉碧", "Hanbit", "skincare", "KR", "HB", 0.7),
    _b("Rouge Arlette", "阿莱特", "胭脂阿蕾特", "Arlette", "cosmetics", "FR", "RA", 1.3),
    _b("Celestine Paris", "塞莱斯汀", "赛蕾丝汀", "Celestine", "cosmetics", "FR", "CP", 1.5),
    _b("Mirabella", "米拉贝拉", "蜜拉贝拉", "Mirabella", "cosmetics", "IT", "MB", 1.0),
    _b("Sakura Veil", "樱纱", "樱之纱", "Sakura", "cosmetics", "JP", "SV", 0.8),
    _b("Noor & Vale", "诺尔维", "努尔薇", "Noor", "cosmetics", "GB", "NV", 1.1),
    _b("Castellani Milano", "卡斯泰拉尼", "卡斯特拉尼", "Castellani", "handbags", "IT", "CM", 1.5),
    _b("Vettore", "维托雷", "威托瑞", "Vettore", "handbags", "IT", "VT", 1.0),
    _b("Maison Bérard", "贝拉德", "贝哈尔", "Bérard", "handbags", "FR", "BR", 1.3),
    _b("Lorenza Valli", "洛伦扎", "罗伦莎", "Valli", "handbags", "IT", "LZ", 0.8),
    _b("Ardeni", "阿德尼", "雅德尼", "Ardeni", "handbags", "ES", "AD", 0.6),
    _b("Valdière Genève", "瓦尔迪耶", "瓦迪尔", "Valdière", "watches", "CH", "VG", 1.6),
    _b("Kronholm", "克朗霍姆", "科隆霍姆", "Kronholm", "watches", "CH", "KH", 1.0),
    _b("Orvane", "奥凡", "欧梵", "Orvane", "watches", "CH", "OV", 0.7),
    _b("Stellato", "斯泰拉托", "斯黛拉托", "Stellato", "watches", "IT", "ST", 0.5),
    _b("Tokiwa", "常盘", "时和", "Tokiwa", "watches", "JP", "TK", 0.3),
    _b("Vantor", "万拓", "梵拓", "Vantor", "sneakers", "US", "VN", 1.2),
    _b("Apex Dash", "爱派克斯", "艾派斯", "Apex", "sneakers", "US", "AX", 1.0),
    _b("Norrland", "诺兰德", "诺尔兰", "Norrland", "sneakers", "SE", "NL", 0.9),
    _b("Zephyra", "泽菲拉", "赛菲拉", "Zephyra", "sneakers", "DE", "ZP", 0.8),
    _b("Volare Sport", "沃拉雷", "沃拉瑞", "Volare", "sneakers", "IT", "VS", 0.7),
    _b("Kiwi Meadow", "奇异牧场", "新西兰牧场", "Kiwi", "infant_formula", "NZ", "KM", 1.2),
    _b("Alpenkind", "阿尔卑乳", "爱尔本", "Alpenkind", "infant_formula", "DE", "AK", 1.1),
    _b("Golden Fern", "金蕨", "金色蕨", "Fern", "infant_formula", "NZ", "GF", 1.0),
    _b("Dairy Vale", "牧谷", "黛瑞谷", "Vale", "infant_formula", "AU", "DV", 0.9),
    _b("Nordlys Baby", "诺德丽", "北极光宝贝", "Nordlys", "infant_formula", "NL", "NB", 1.0),
    _b("Vitaroo", "维他袋鼠", "维塔鲁", "Vitaroo", "supplements", "AU", "VR", 1.0),
    _b("Oceanic Health", "海洋康", "欧申康", "Oceanic", "supplements", "NZ", "OH", 1.1),
    _b("Bloomvita", "布鲁维", "宝美维", "Bloomvita", "supplements", "US", "BV", 0.9),
    _b("PureKoala", "纯考拉", "普尔考拉", "Koala", "supplements", "AU", "PK", 0.8),
    _b("Nutrimont", "纽崔蒙", "纽翠蒙", "Nutrimont", "supplements", "CH", "NM", 1.3),
    _b("Voltix", "沃提斯", "伏特斯", "Voltix", "electronics", "CN", "VX", 0.8),
    _b("Sonique", "索妮可", "颂尼克", "Sonique", "electronics", "FR", "SQ", 1.3),
    _b("Nexcharge", "耐充", "奈克查", "Nexcharge", "electronics", "CN", "NX", 0.6),
    _b("Lumo Audio", "鲁摩", "璐摩", "Lumo", "electronics", "KR", "LA", 1.1),
    _b("Kairo", "凯罗", "开罗", "Kairo", "electronics", "JP", "KR", 1.0),
    _b("Maotan", "茅坛", "茅潭", "Maotan", "liquor", "CN", "MT", 1.4),
    _b("Château Levard", "乐瓦酒庄", "勒瓦尔", "Levard", "liquor", "FR", "CL", 1.0),
    _b("Glen Arrow", "格伦箭", "格兰艾罗", "Glen Arrow", "liquor", "GB", "GA", 0.9),
)


def _t(
    key: str,
    cat: str,
    zh: tuple[str, ...],
    en: tuple[str, ...],
    it: tuple[str, ...],
    price: tuple[float, float],
    specs: tuple[tuple[int, str], ...],
    coloured: bool,
    shape: str,
) -> ProductType:
    return ProductType(key, cat, (zh, en, it), price, specs, coloured, shape)


def _load_product_types() -> tuple[ProductType, ...]:
    """The kinds of product, from the package's ``product_types.json`` (data, not code)."""
    rows = json.loads(resources.files(__package__).joinpath("product_types.json").read_text("utf-8"))
    return tuple(
        _t(
            row["key"],
            row["category"],
            tuple(row["zh"]),
            tuple(row["en"]),
            tuple(row["it"]),
            (row["price_cny"][0], row["price_cny"][1]),
            tuple((int(size), str(unit)) for size, unit in row["specs"]),
            bool(row["coloured"]),
            row["shape"],
        )
        for row in rows
    )


PRODUCT_TYPES: tuple[ProductType, ...] = _load_product_types()

_N_BRAND_FORMS = 4
_N_NAME_FORMS = 3
_N_MODEL_FORMS = 4
_N_SPEC_FORMS = 2


def gtin13_check_digit(first12: str) -> int:
    """The GS1 check digit: weights 1,3,1,3,... from the left over the first 12 digits."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError(f"need 12 digits, got {first12!r}")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_gtin13(code: str) -> bool:
    """True for 13 digits whose last one is the GS1 check digit of the rest."""
    return len(code) == 13 and code.isdigit() and gtin13_check_digit(code[:12]) == int(code[12])


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _spec_forms(spec: tuple[int, str] | None) -> list[list[str]]:
    if spec is None:
        return [["", ""] for _ in LANGS]
    n, unit = spec
    zh, en, it = _UNITS[unit]
    return [[f"{n}{unit}", f"{n}{zh}"], [f"{n}{en}", f"{n} {en}"], [f"{n} {it}", f"{n}{unit}"]]


def _nice_price(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Round like shops do: to 10 below 1000 (minus 1 when it ends in 0), to 100 above."""
    step = np.where(x < 1000, 10.0, 100.0)
    out: npt.NDArray[np.float64] = np.maximum(np.round(x / step) * step - 1.0, 9.0)
    return out


@dataclass
class Catalog:
    """Products as parallel numpy arrays, plus the string tables titles are composed from."""

    seed: int
    brands: tuple[Brand, ...]
    types: tuple[ProductType, ...]
    product_id: npt.NDArray[np.str_]
    brand_idx: npt.NDArray[np.int64]
    type_idx: npt.NDArray[np.int64]
    category_idx: npt.NDArray[np.int64]
    model: npt.NDArray[np.str_]
    spec: list[tuple[int, str] | None]
    colour_idx: npt.NDArray[np.int64]
    gtin: npt.NDArray[np.str_]
    price_cny: npt.NDArray[np.float64]
    popularity: npt.NDArray[np.float64]
    _cache: dict[str, pa.Array] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.product_id)

    def product(self, index: int) -> Product:
        """One product as an object (for rendering and tests; not for bulk work)."""
        i = int(index)
        return Product(
            index=i,
            product_id=str(self.product_id[i]),
            brand=self.brands[int(self.brand_idx[i])],
            type=self.types[int(self.type_idx[i])],
            model=str(self.model[i]),
            spec=_spec_forms(self.spec[i])[1][0],
            colour=int(self.colour_idx[i]),
            gtin=str(self.gtin[i]),
            price_cny=float(self.price_cny[i]),
        )

    def in_category(self, category: int) -> npt.NDArray[np.int64]:
        """Indices of the products of one category (by index into CATEGORIES)."""
        return np.flatnonzero(self.category_idx == category).astype(np.int64)

    def sample(self, rng: np.random.Generator, category: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """A product per entry of ``category``, popular products more often (vectorised)."""
        out = np.empty(len(category), dtype=np.int64)
        for c in np.unique(category):
            rows = np.flatnonzero(category == c)
            pool = self.in_category(int(c))
            cdf = np.cumsum(self.popularity[pool])
            pick = np.searchsorted(cdf, rng.random(len(rows)) * cdf[-1], side="right")
            out[rows] = pool[np.minimum(pick, len(pool) - 1)]
        return out

    def table(self) -> pa.Table:
        """The catalog as ground truth: what each product is and what it really costs."""
        brands = self.brands
        return pa.table(
            {
                "product_id": pa.array(self.product_id.tolist(), pa.string()),
                "brand": pa.array([brands[b].name for b in self.brand_idx], pa.string()),
                "brand_zh": pa.array([brands[b].name_zh for b in self.brand_idx], pa.string()),
                "category": pa.array([CATEGORIES[c] for c in self.category_idx], pa.string()),
                "product_type": pa.array([self.types[t].key for t in self.type_idx], pa.string()),
                "model": pa.array(self.model.tolist(), pa.string()),
                "spec": self._strings("spec").take(pa.array(np.arange(len(self)) * 6 + 2)),
                "colour": pa.array([COLOURS[c][1] if c >= 0 else None for c in self.colour_idx], pa.string()),
                "gtin": pa.array(self.gtin.tolist(), pa.string()),
                "genuine_price": pa.array(self.price_cny, pa.float64()),
                "currency": pa.array(["CNY"] * len(self), pa.string()),
            }
        )

    # -- title composition -------------------------------------------------------------

    def _strings(self, name: str) -> pa.Array:
        """String tables indexed by integer codes (built once, then cached)."""
        if name in self._cache:
            return self._cache[name]
        values: list[str]
        if name == "brand":  # [lang][brand][form]
            values = []
            for lang in range(len(LANGS)):
                for b in self.brands:
                    if lang == 0:
                        values += [b.name_zh, b.alt_zh, b.name, f"{b.name_zh} {b.name}"]
                    elif lang == 1:
                        values += [b.name, b.name.upper(), _ascii(b.name), b.short]
                    else:
                        values += [b.name, b.name.upper(), b.short, _ascii(b.short)]
        elif name == "brand_plain":  # the brand column as a merchant fills it, [lang][brand]
            values = [b.name_zh for b in self.brands] + [b.name for b in self.brands] * 2
        elif name == "type":  # [lang][type][form]
            values = []
            for lang in range(len(LANGS)):
                for t in self.types:
                    forms = t.names[lang]
                    values += [forms[k % len(forms)] for k in range(_N_NAME_FORMS)]
        elif name == "model":  # [product][form]
            values = []
            for m in self.model.tolist():
                code, _, number = m.partition("-")
                values += [m, code + number, f"{code} {number}", m.lower()]
        elif name == "spec":  # [product][lang][form]
            values = []
            for s in self.spec:
                for spec_forms in _spec_forms(s):
                    values += spec_forms
        elif name == "colour":  # [product][lang]
            values = []
            for c in self.colour_idx.tolist():
                values += list(COLOURS[c][:3]) if c >= 0 else ["", "", ""]
        elif name == "category":
            values = list(CATEGORIES)
        elif name == "gtin":
            values = self.gtin.tolist()
        elif name == "product_id":
            values = self.product_id.tolist()
        else:
            raise KeyError(name)
        array = pa.array(values, pa.string())
        self._cache[name] = array
        return array

    def brand_as_stated(self, product: npt.NDArray[np.int64], lang: npt.NDArray[np.int64]) -> pa.Array:
        """The ``brand`` column: the brand's Chinese name in Chinese listings, Latin otherwise."""
        idx = lang * len(self.brands) + self.brand_idx[product]
        return self._strings("brand_plain").take(pa.array(idx))

    def category_names(self, product: npt.NDArray[np.int64]) -> pa.Array:
        """Category slugs of the given products."""
        return self._strings("category").take(pa.array(self.category_idx[product]))

    def gtins(self, product: npt.NDArray[np.int64]) -> pa.Array:
        """GTIN-13 strings of the given products."""
        return self._strings("gtin").take(pa.array(product))

    def product_ids(self, product: npt.NDArray[np.int64]) -> pa.Array:
        """product_id strings of the given products."""
        return self._strings("product_id").take(pa.array(product))

    def compose_titles(
        self,
        rng: np.random.Generator,
        product: npt.NDArray[np.int64],
        lang: npt.NDArray[np.int64],
        prefix: pa.Array,
        suffix: pa.Array,
    ) -> pa.Array:
        """Titles for (product, language) pairs, each drawn in its own variant form.

        Brand form, product-name form, model-number form (with or without dash, lower case or
        dropped), spec form, colour and word order are all random, so two merchants listing the
        same product rarely write the same title; brand and model tokens survive in most of them,
        which is what a matcher keys on. ``prefix``/``suffix`` carry the caller's words
        (marketing, "清仓", "Usato", ...) and may hold empty strings.
        """
        n = len(product)
        nb, nt = len(self.brands), len(self.types)
        brand = self._strings("brand").take(
            pa.array(
                (lang * nb + self.brand_idx[product]) * _N_BRAND_FORMS + rng.integers(0, _N_BRAND_FORMS, n)
            )
        )
        name = self._strings("type").take(
            pa.array((lang * nt + self.type_idx[product]) * _N_NAME_FORMS + rng.integers(0, _N_NAME_FORMS, n))
        )
        model = self._strings("model").take(
            pa.array(product * _N_MODEL_FORMS + rng.integers(0, _N_MODEL_FORMS, n))
        )
        model = pc.if_else(pa.array(rng.random(n) < 0.12), "", model)
        spec = self._strings("spec").take(
            pa.array((product * len(LANGS) + lang) * _N_SPEC_FORMS + rng.integers(0, 2, n))
        )
        spec = pc.if_else(pa.array(rng.random(n) < 0.25), "", spec)
        colour = self._strings("colour").take(pa.array(product * len(LANGS) + lang))
        colour = pc.if_else(pa.array(rng.random(n) < 0.3), "", colour)
        # Empty parts become nulls, which the join skips: no doubled spaces to clean up.
        parts = [
            pc.if_else(pc.equal(part, ""), pa.scalar(None, pa.string()), part)
            for part in (prefix, brand, name, model, spec, colour, suffix)
        ]
        p_, b_, n_, m_, s_, c_, x_ = parts
        orders = (
            (p_, b_, n_, m_, s_, c_, x_),
            (p_, b_, m_, n_, c_, s_, x_),
            (p_, b_, n_, s_, c_, x_, m_),
        )
        which = pa.array(rng.integers(0, len(orders), n))
        slots = [pc.choose(which, *(order[k] for order in orders)) for k in range(7)]
        title = pc.binary_join_element_wise(*slots, " ", null_handling="skip")
        return title

    @cached_property
    def lookup(self) -> dict[str, int]:
        """Product index by product_id."""
        return {pid: i for i, pid in enumerate(self.product_id.tolist())}


def build_catalog(seed: int, n_products: int = 2000) -> Catalog:
    """A deterministic catalog: the same seed gives the same products, prices and GTINs."""
    if n_products < len(PRODUCT_TYPES):
        raise ValueError(f"need at least {len(PRODUCT_TYPES)} products, got {n_products}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCA7A106]))
    types = PRODUCT_TYPES
    brands = BRANDS
    cat_of_type = np.array([CATEGORIES.index(t.category) for t in types])
    # Every type at least once, the rest spread by category weight.
    type_w = np.array([_CATEGORY_WEIGHTS[c] for c in cat_of_type])
    type_w = type_w / np.bincount(cat_of_type, minlength=len(CATEGORIES))[cat_of_type]
    type_w /= type_w.sum()
    type_idx = np.concatenate(
        [np.arange(len(types)), rng.choice(len(types), n_products - len(types), p=type_w)]
    )
    type_idx = rng.permutation(type_idx).astype(np.int64)
    category_idx = cat_of_type[type_idx].astype(np.int64)

    brand_idx = np.empty(n_products, dtype=np.int64)
    for c, cat in enumerate(CATEGORIES):
        pool = np.array([i for i, b in enumerate(brands) if b.category == cat])
        rows = np.flatnonzero(category_idx == c)
        brand_idx[rows] = pool[rng.integers(0, len(pool), len(rows))]

    # Model numbers: brand code + 4 digits + sometimes a letter; unique within the catalog.
    digits = rng.permutation(9000)[: min(n_products, 9000)] + 1000
    if n_products > 9000:
        digits = np.concatenate([digits, rng.integers(1000, 10000, n_products - 9000)])
    letters = np.array(["", "", "", "A", "B", "S", "X", "L"])[rng.integers(0, 8, n_products)]
    model = np.array(
        [
            f"{brands[b].code}-{d}{s}"
            for b, d, s in zip(brand_idx.tolist(), digits.tolist(), letters.tolist(), strict=True)
        ]
    )
    # Keep models unique even past 9000 products.
    seen: dict[str, int] = {}
    for i, m in enumerate(model.tolist()):
        if m in seen:
            model[i] = f"{m}{i % 10}"
        seen[str(model[i])] = i

    spec: list[tuple[int, str] | None] = []
    colour_idx = np.full(n_products, -1, dtype=np.int64)
    spec_pick = rng.integers(0, 1 << 30, n_products)
    colour_pick = rng.integers(0, len(COLOURS), n_products)
    for i, t in enumerate(type_idx.tolist()):
        pt = types[t]
        spec.append(pt.specs[spec_pick[i] % len(pt.specs)] if pt.specs else None)
        if pt.coloured:
            colour_idx[i] = colour_pick[i]

    lo = np.array([types[t].price_cny[0] for t in type_idx])
    hi = np.array([types[t].price_cny[1] for t in type_idx])
    tier = np.array([brands[b].tier for b in brand_idx])
    base = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    price_cny = _nice_price(base * np.clip(tier, 0.3, 2.0) ** 0.6)

    # GTIN-13: GS1 prefix of the brand's country + a company number per brand + item number.
    company = rng.permutation(9000)[: len(brands)] + 1000
    item_no = np.zeros(n_products, dtype=np.int64)
    counters = np.zeros(len(brands), dtype=np.int64)
    for i, b in enumerate(brand_idx.tolist()):
        item_no[i] = counters[b]
        counters[b] += 1
    gtin = []
    for b, item in zip(brand_idx.tolist(), item_no.tolist(), strict=True):
        first12 = f"{_GS1_PREFIX[brands[b].country]}{company[b]:04d}{item:05d}"
        gtin.append(first12 + str(gtin13_check_digit(first12)))

    popularity = np.empty(n_products, dtype=np.float64)
    for c in range(len(CATEGORIES)):
        rows = np.flatnonzero(category_idx == c)
        rank = rng.permutation(len(rows))
        popularity[rows] = 1.0 / (rank + 1.0) ** 0.9

    return Catalog(
        seed=seed,
        brands=brands,
        types=types,
        product_id=np.array([f"prd-{i:06d}" for i in range(n_products)]),
        brand_idx=brand_idx,
        type_idx=type_idx,
        category_idx=category_idx,
        model=model,
        spec=spec,
        colour_idx=colour_idx,
        gtin=np.array(gtin),
        price_cny=price_cny,
        popularity=popularity,
    )
