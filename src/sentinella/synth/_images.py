"""Procedural photos with real EXIF: product shots, receipts, parcels and street scenes.

The provenance checks (perceptual hashes, EXIF time/GPS/software) must be exercised on real
JPEG files, so the generator draws small pictures with Pillow and writes the EXIF a phone or an
editor would. What a picture looks like is a pure function of integer seeds: the product decides
the object (shape, colours, label), the shooting merchant decides the scene (backdrop, props,
light, framing), so two merchants photographing the same product get visibly related but
clearly different pictures, while a copied photo stays a near-duplicate of its source.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from ._catalog import COLOURS, Product

__all__ = [
    "CAMERAS",
    "EDITORS",
    "FILTER_APPS",
    "ExifSpec",
    "ShotStyle",
    "edit_copy",
    "encode_jpeg",
    "exif_bytes",
    "read_exif",
    "render_delivery",
    "render_product",
    "render_receipt",
    "render_street",
    "shot_style",
]

CAMERAS: tuple[tuple[str, str], ...] = (
    ("Apple", "iPhone 15 Pro"),
    ("Apple", "iPhone 14"),
    ("Apple", "iPhone 13 mini"),
    ("HUAWEI", "ALN-AL00"),
    ("HUAWEI", "LNA-AL00"),
    ("Xiaomi", "23127PN0CC"),
    ("OPPO", "PHZ110"),
    ("vivo", "V2309A"),
    ("samsung", "SM-S9180"),
    ("HONOR", "PGT-AN10"),
)
"""(Make, Model) pairs as phones write them."""

EDITORS: tuple[str, ...] = (
    "Adobe Photoshop 25.4 (Windows)",
    "Adobe Photoshop Lightroom Classic 13.1",
    "GIMP 2.10.36",
    "PicsArt",
)
"""Software tags of desktop editors: on an 'origin' photo they mean it was worked on."""

FILTER_APPS: tuple[str, ...] = ("Meitu", "Snapseed 2.0", "VSCO", "Xingtu")
"""Beauty/filter apps honest sellers use: editing software alone is not evidence."""


@dataclass(frozen=True)
class ShotStyle:
    """How one merchant photographs things: backdrop, props, light and framing."""

    wall_top: tuple[int, int, int]
    wall_bottom: tuple[int, int, int]
    table: tuple[int, int, int]
    horizon: float
    light: float
    angle: float
    scale: float
    dx: float
    dy: float
    mirror: bool
    props: tuple[tuple[float, float, float, float, tuple[int, int, int], int], ...]
    noise: float


@dataclass(frozen=True)
class ExifSpec:
    """What to write into EXIF.

    ``taken_local`` is the wall-clock time written to DateTimeOriginal and ``utc_offset`` the
    offset written beside it (OffsetTimeOriginal); ``gps_time`` is the GPS time stamp in UTC and
    defaults to ``taken_local - utc_offset``, i.e. consistent. An edited photo passes a
    ``gps_time`` that disagrees.
    """

    make: str
    model: str
    taken_local: datetime
    utc_offset: float
    software: str | None = None
    gps: tuple[float, float] | None = None
    gps_time: datetime | None = None


def _rgb(values: np.ndarray) -> tuple[int, int, int]:
    v = np.clip(values, 0, 255).astype(int)
    return (int(v[0]), int(v[1]), int(v[2]))


def shot_style(seed: int) -> ShotStyle:
    """The photographic habits of one merchant (or one phone), from an integer seed."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5407]))
    base = rng.uniform(90, 235, 3)
    wall_top = _rgb(base)
    wall_bottom = _rgb(base * rng.uniform(0.75, 0.95))
    table = _rgb(rng.uniform(40, 220, 3))
    props = []
    for _ in range(int(rng.integers(2, 5))):
        x, y = rng.uniform(0.0, 1.0), rng.uniform(0.0, 0.95)
        w, h = rng.uniform(0.12, 0.35), rng.uniform(0.12, 0.45)
        props.append((x, y, w, h, _rgb(rng.uniform(30, 230, 3)), int(rng.integers(0, 3))))
    return ShotStyle(
        wall_top=wall_top,
        wall_bottom=wall_bottom,
        table=table,
        horizon=float(rng.uniform(0.35, 0.8)),
        light=float(rng.uniform(-1.0, 1.0)),
        angle=float(rng.uniform(-20.0, 20.0)),
        scale=float(rng.uniform(0.45, 0.85)),
        dx=float(rng.uniform(-0.2, 0.2)),
        dy=float(rng.uniform(-0.08, 0.1)),
        mirror=bool(rng.random() < 0.5),
        props=tuple(props),
        noise=float(rng.uniform(1.0, 4.0)),
    )


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font: the same glyphs on every machine, so the bytes are reproducible.
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=512)
def _gradient(style: ShotStyle, size: tuple[int, int]) -> Image.Image:
    """The merchant's wall and table, lit from one side (cached: it is the same every shot)."""
    w, h = size
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    top = np.array(style.wall_top, dtype=np.float32)
    bottom = np.array(style.wall_bottom, dtype=np.float32)
    table = np.array(style.table, dtype=np.float32)
    wall = top + (bottom - top) * (y / style.horizon)
    floor = table * (0.8 + 0.25 * (y - style.horizon) / max(1e-6, 1.0 - style.horizon))
    rows = np.where(y < style.horizon, wall, floor)  # (h, 3)
    light = 1.0 + 0.18 * style.light * np.linspace(-1.0, 1.0, w, dtype=np.float32)
    img = rows[:, None, :] * light[None, :, None]
    canvas = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    if style.mirror:
        canvas = canvas.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return canvas


def _backdrop(style: ShotStyle, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    w, h = size
    canvas = _gradient(style, size).copy()
    draw = ImageDraw.Draw(canvas)
    for px, py, pw, ph, colour, kind in style.props:
        jx, jy = rng.normal(0.0, 0.01, 2)
        box = (
            (px + jx) * w,
            (py + jy) * h,
            (px + jx + pw) * w,
            (py + jy + ph) * h,
        )
        if kind == 0:
            draw.rectangle(box, fill=colour)
        elif kind == 1:
            draw.ellipse(box, fill=colour)
        else:
            draw.rounded_rectangle(box, radius=int(0.2 * pw * w), fill=colour)
    return canvas


@cache
def _grain(level: int) -> Image.Image:
    """A fixed sensor-noise texture (grey 128 = no change), cut at random offsets per shot."""
    rng = np.random.default_rng(np.random.SeedSequence([level, 0x96A1]))
    noise = 128.0 + rng.standard_normal((720, 720), dtype=np.float32) * level
    return Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8), "L").convert("RGB")


def _noise(img: Image.Image, sigma: float, rng: np.random.Generator, gain: float = 1.0) -> Image.Image:
    """Sensor grain, and an exposure gain in the same pass: (img + grain - 128) * gain."""
    grain = _grain(max(1, min(6, round(sigma))))
    x = int(rng.integers(0, grain.width - img.width + 1))
    y = int(rng.integers(0, grain.height - img.height + 1))
    patch = grain.crop((x, y, x + img.width, y + img.height))
    return ImageChops.add(img, patch, 1.0 / gain, round(-128.0 * gain))


def _product_palette(product: Product) -> tuple[tuple[int, int, int], ...]:
    rng = np.random.default_rng(np.random.SeedSequence([product.index, 0xC0102]))
    body = COLOURS[product.colour][3] if product.colour >= 0 else _rgb(rng.uniform(60, 240, 3))
    label = _rgb(rng.uniform(20, 250, 3))
    accent = _rgb(rng.uniform(20, 250, 3))
    return body, label, accent


@lru_cache(maxsize=1024)
def _draw_object(product: Product) -> Image.Image:
    """The product alone on a transparent 240x240 layer."""
    layer = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    body, label, accent = _product_palette(product)
    shape = product.type.shape
    text = product.brand.short.upper()
    font = _font(16)
    small = _font(12)
    label_box: tuple[int, int, int, int]
    if shape in ("bottle", "perfume", "pill_bottle", "wine_bottle"):
        if shape == "wine_bottle":
            d.rectangle((100, 20, 140, 80), fill=body)
            d.rounded_rectangle((78, 70, 162, 230), radius=18, fill=body)
        elif shape == "perfume":
            d.rectangle((104, 22, 136, 56), fill=accent)
            d.rounded_rectangle((60, 56, 180, 220), radius=10, fill=body)
        else:
            d.rectangle((96, 20, 144, 60), fill=accent)
            d.rounded_rectangle((72, 58, 168, 228), radius=14, fill=body)
        label_box = (80, 110, 160, 180)
    elif shape in ("jar", "tin"):
        d.rounded_rectangle((52, 60, 188, 96), radius=10, fill=accent)
        d.rounded_rectangle((48, 90, 192, 220), radius=12, fill=body)
        label_box = (58, 120, 182, 190)
    elif shape == "tube":
        d.polygon([(90, 30), (150, 30), (170, 190), (70, 190)], fill=body)
        d.rectangle((80, 190, 160, 226), fill=accent)
        label_box = (92, 80, 150, 140)
    elif shape == "lipstick":
        d.rectangle((92, 110, 148, 226), fill=accent)
        d.rectangle((98, 60, 142, 112), fill=(200, 170, 90))
        d.polygon([(100, 60), (140, 60), (140, 30), (100, 44)], fill=body)
        label_box = (96, 150, 144, 190)
    elif shape in ("box", "sachet", "wallet", "gadget"):
        top = 70 if shape != "sachet" else 40
        d.rounded_rectangle((36, top, 204, 210), radius=8 if shape != "gadget" else 22, fill=body)
        d.rectangle((36, top + 10, 204, top + 26), fill=accent)
        label_box = (56, top + 40, 184, top + 96)
    elif shape == "bag":
        d.arc((70, 20, 170, 120), start=180, end=360, fill=accent, width=9)
        d.polygon([(40, 80), (200, 80), (222, 226), (18, 226)], fill=body)
        d.rectangle((100, 96, 140, 116), fill=accent)
        label_box = (70, 140, 170, 180)
    elif shape == "watch":
        d.rectangle((96, 10, 144, 230), fill=body)
        d.ellipse((58, 58, 182, 182), fill=accent)
        d.ellipse((70, 70, 170, 170), fill=label)
        d.line((120, 120, 120, 84), fill=(20, 20, 20), width=4)
        d.line((120, 120, 148, 132), fill=(20, 20, 20), width=3)
        label_box = (84, 134, 156, 160)
    elif shape == "shoe":
        d.polygon(
            [(20, 170), (40, 110), (110, 96), (150, 120), (218, 150), (222, 200), (20, 200)],
            fill=body,
        )
        d.rectangle((20, 196, 222, 214), fill=(240, 240, 236))
        d.line((60, 150, 190, 170), fill=accent, width=10)
        label_box = (60, 120, 130, 146)
    else:  # earbuds
        d.rounded_rectangle((58, 90, 182, 200), radius=36, fill=body)
        d.line((58, 130, 182, 130), fill=accent, width=3)
        label_box = (80, 150, 160, 186)
    d.rectangle(label_box, fill=label)
    lx, ly = label_box[0] + 4, label_box[1] + 4
    ink = (255, 255, 255) if sum(label) < 380 else (20, 20, 20)
    d.text((lx, ly), text[:9], fill=ink, font=font)
    d.text((lx, ly + 18), product.model, fill=ink, font=small)
    return layer


def render_product(
    product: Product, style: ShotStyle, shot_seed: int, size: tuple[int, int] = (320, 320)
) -> Image.Image:
    """A product photo: the product's own look, framed the way this merchant shoots."""
    rng = np.random.default_rng(np.random.SeedSequence([shot_seed, 0x5407]))
    canvas = _backdrop(style, size, rng)
    obj = _draw_object(product)
    angle = math.radians(style.angle + float(rng.normal(0.0, 3.0)))
    scale = style.scale * float(rng.uniform(0.94, 1.06)) * min(size) / 240.0
    # One affine pass for rotation and scale: output box of the rotated, scaled object.
    cos, sin = math.cos(angle), math.sin(angle)
    ow = int(scale * (abs(obj.width * cos) + abs(obj.height * sin))) + 2
    oh = int(scale * (abs(obj.width * sin) + abs(obj.height * cos))) + 2
    cx_in, cy_in = obj.width / 2, obj.height / 2
    a, b = cos / scale, sin / scale
    d, e = -sin / scale, cos / scale
    c = cx_in - a * ow / 2 - b * oh / 2
    f = cy_in - d * ow / 2 - e * oh / 2
    obj = obj.transform((ow, oh), Image.Transform.AFFINE, (a, b, c, d, e, f), Image.Resampling.NEAREST)
    cx = size[0] * (0.5 + style.dx + float(rng.normal(0.0, 0.02)))
    cy = size[1] * (0.52 + style.dy + float(rng.normal(0.0, 0.02)))
    x0, y0 = int(cx - ow / 2), int(cy - oh / 2)
    sw, sh = int(0.85 * ow) + 24, int(0.17 * oh) + 24
    shadow = Image.new("L", (sw, sh), 0)
    ImageDraw.Draw(shadow).ellipse((12, 12, sw - 12, sh - 12), fill=110)
    shadow = shadow.filter(ImageFilter.BoxBlur(8))
    canvas.paste((0, 0, 0), (x0 + int(0.1 * ow) - 12, y0 + int(0.85 * oh) - 12), shadow)
    canvas.paste(obj, (x0, y0), obj)
    gain = 1.0 + 0.12 * style.light + float(rng.normal(0.0, 0.03))
    return _noise(canvas, style.noise, rng, gain)


def render_receipt(
    seed: int,
    shop: str,
    address: str,
    when: datetime,
    items: list[tuple[str, str]],
    total: str,
    size: tuple[int, int] = (300, 420),
) -> Image.Image:
    """A till receipt lying on a table: shop, address, time, items and total."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x4EC1]))
    # Receipts are all white slips, so the scene around them must vary for distinct receipts
    # not to look like copies: table, props, slip length, zoom, tilt and position.
    canvas = _backdrop(shot_style(seed ^ 0x4EC1), size, rng)
    length = int(rng.uniform(260, 400))
    slip = Image.new("RGBA", (220, length), (250, 250, 246, 255))
    d = ImageDraw.Draw(slip)
    f, small = _font(15), _font(11)
    d.text((12, 12), shop.upper()[:22], fill=(10, 10, 10), font=f)
    d.text((12, 34), address[:34], fill=(40, 40, 40), font=small)
    d.text((12, 50), when.strftime("%d/%m/%Y %H:%M"), fill=(40, 40, 40), font=small)
    y = 76
    for name, price in items[:8]:
        d.text((12, y), name[:22], fill=(20, 20, 20), font=small)
        d.text((150, y), price, fill=(20, 20, 20), font=small)
        y += 16
    d.line((12, y + 4, 208, y + 4), fill=(60, 60, 60), width=1)
    d.text((12, y + 10), "TOTAL", fill=(0, 0, 0), font=f)
    d.text((120, y + 10), total, fill=(0, 0, 0), font=f)
    bars = rng.integers(1, 4, 40)
    x = 20
    for i, bw in enumerate(bars.tolist()):
        if i % 2 == 0:
            d.rectangle((x, length - 50, x + bw, length - 14), fill=(0, 0, 0))
        x += bw + 1
    zoom = float(rng.uniform(0.6, 1.05))
    slip = slip.resize((int(slip.width * zoom), int(slip.height * zoom)), Image.Resampling.BOX)
    slip = slip.rotate(float(rng.uniform(-30, 30)), resample=Image.Resampling.BICUBIC, expand=True)
    ox = int((size[0] - slip.width) / 2 + rng.uniform(-0.25, 0.25) * size[0])
    oy = int((size[1] - slip.height) / 2 + rng.uniform(-0.2, 0.2) * size[1])
    canvas.paste(slip, (ox, oy), slip)
    return _noise(canvas, 2.0, rng)


def render_delivery(seed: int, label_lines: list[str], size: tuple[int, int] = (360, 280)) -> Image.Image:
    """A parcel on the floor with its shipping label."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDE11]))
    style = shot_style(seed)
    canvas = _backdrop(style, size, rng)
    d = ImageDraw.Draw(canvas)
    w, h = size
    brown = _rgb(np.array([170, 125, 80]) * rng.uniform(0.8, 1.1))
    x0, y0 = int(w * rng.uniform(0.04, 0.4)), int(h * rng.uniform(0.22, 0.5))
    x1 = min(w - 30, x0 + int(w * rng.uniform(0.45, 0.6)))
    y1 = min(h - 6, y0 + int(h * rng.uniform(0.35, 0.55)))
    depth = int(0.12 * (x1 - x0))
    d.polygon(
        [(x0, y0), (x0 + depth, y0 - depth), (x1 + depth, y0 - depth), (x1, y0)],
        fill=_rgb(np.array(brown) * 1.15),
    )
    d.polygon([(x1, y0), (x1 + depth, y0 - depth), (x1 + depth, y1 - depth), (x1, y1)], fill=brown)
    d.rectangle((x0, y0, x1, y1), fill=_rgb(np.array(brown) * 0.95))
    d.rectangle(((x0 + x1) // 2 - 8, y0, (x0 + x1) // 2 + 8, y1), fill=(200, 180, 140))
    lx0, ly0 = x0 + 14, y0 + 14
    d.rectangle((lx0, ly0, lx0 + 150, ly0 + 90), fill=(248, 248, 248))
    small = _font(10)
    for i, line in enumerate(label_lines[:5]):
        d.text((lx0 + 6, ly0 + 6 + 13 * i), line[:26], fill=(0, 0, 0), font=small)
    for i in range(30):
        if rng.random() < 0.6:
            d.line((lx0 + 8 + 4 * i, ly0 + 72, lx0 + 8 + 4 * i, ly0 + 86), fill=(0, 0, 0), width=2)
    return _noise(canvas, 2.5, rng)


def render_street(
    place_seed: int, shot_seed: int, sign: str, size: tuple[int, int] = (400, 300)
) -> Image.Image:
    """A shopping street: the city decides the palette and skyline, the shot the framing."""
    city = np.random.default_rng(np.random.SeedSequence([place_seed, 0x57EE7]))
    rng = np.random.default_rng(np.random.SeedSequence([shot_seed, 0x57EE7]))
    w, h = size
    sky_top = city.uniform(120, 220, 3)
    y = np.linspace(0.0, 1.0, h)[:, None, None]
    sky = sky_top + (np.array([235.0, 235.0, 240.0]) - sky_top) * y
    sky = np.broadcast_to(sky, (h, w, 3))
    canvas = Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(canvas)
    palette = [_rgb(city.uniform(70, 230, 3)) for _ in range(5)]
    road = int(h * rng.uniform(0.72, 0.82))
    x = -int(rng.uniform(0, 60))
    while x < w:
        bw = int(rng.uniform(60, 140))
        top = int(h * rng.uniform(0.12, 0.45))
        colour = palette[int(rng.integers(0, len(palette)))]
        d.rectangle((x, top, x + bw, road), fill=colour)
        window = _rgb(np.array(colour) * 0.55)
        for wy in range(top + 12, road - 40, 28):
            for wx in range(x + 10, x + bw - 14, 22):
                d.rectangle((wx, wy, wx + 10, wy + 16), fill=window)
        x += bw + int(rng.uniform(0, 6))
    d.rectangle((0, road, w, h), fill=(90, 90, 94))
    sx = int(w * rng.uniform(0.15, 0.5))
    sy = int(road - h * rng.uniform(0.22, 0.3))
    d.rectangle((sx, sy, sx + 170, sy + 28), fill=(20, 20, 20))
    d.text((sx + 8, sy + 6), sign.upper()[:18], fill=(230, 210, 150), font=_font(16))
    return _noise(canvas, 2.0, rng)


def edit_copy(img: Image.Image, rng: np.random.Generator, sticker_text: str) -> tuple[Image.Image, list[str]]:
    """Edit a stolen photo the way copy-sellers do; returns the picture and the edits made.

    The edits keep it a near-duplicate: a crop of a few percent per side, a resize, a small
    price sticker in a corner, a saturation boost, a left-right mirror. Recompression happens
    when it is saved.
    """
    edits: list[str] = []
    w, h = img.size
    out = img
    if rng.random() < 0.7:
        fx = rng.uniform(0.0, 0.02, 4)
        box = (int(fx[0] * w), int(fx[1] * h), int(w - fx[2] * w), int(h - fx[3] * h))
        out = out.crop(box)
        edits.append("crop")
    if rng.random() < 0.7:
        f = float(rng.uniform(0.6, 0.95))
        out = out.resize(
            (max(16, int(out.width * f)), max(16, int(out.height * f))),
            Image.Resampling.BILINEAR,
        )
        edits.append("resize")
    if rng.random() < 0.6:
        out = out.copy()
        d = ImageDraw.Draw(out)
        sw, sh = int(out.width * 0.15), int(out.height * 0.07)
        size = 13
        while size > 8 and _font(size).getlength(sticker_text) > sw - 6:
            size -= 1
        font = _font(size)
        corner = int(rng.integers(0, 4))
        x0 = 6 if corner in (0, 2) else out.width - sw - 6
        y0 = 6 if corner in (0, 1) else out.height - sh - 6
        fill = (220, 30, 30) if rng.random() < 0.5 else (250, 210, 20)
        d.rounded_rectangle((x0, y0, x0 + sw, y0 + sh), radius=6, fill=fill)
        d.text((x0 + 3, y0 + 2), sticker_text, fill=(255, 255, 255), font=font)
        edits.append("sticker")
    if rng.random() < 0.3:
        out = ImageEnhance.Color(out).enhance(float(rng.uniform(1.05, 1.15)))
        edits.append("saturation")
    if rng.random() < 0.2:
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        edits.append("mirror")
    edits.append("recompress")
    return out, edits


def _dms(value: float) -> list[tuple[int, int]]:
    """Degrees, minutes, seconds as EXIF rationals (seconds to 1/10000)."""
    value = abs(value)
    deg = math.floor(value)
    minutes = math.floor((value - deg) * 60)
    seconds = round(((value - deg) * 60 - minutes) * 60 * 10_000)
    return [(deg, 1), (minutes, 1), (seconds, 10_000)]


def _offset_text(hours: float) -> str:
    sign = "+" if hours >= 0 else "-"
    total = round(abs(hours) * 60)
    return f"{sign}{total // 60:02d}:{total % 60:02d}"


_ASCII, _BYTE, _LONG, _RATIONAL = 2, 1, 4, 5
_Entry = tuple[int, int, int, bytes]


def _ascii(text: str) -> _Entry:
    raw = text.encode("ascii", "replace") + b"\x00"
    return (0, _ASCII, len(raw), raw)


def _rationals(values: list[tuple[int, int]]) -> _Entry:
    return (0, _RATIONAL, len(values), b"".join(struct.pack("<II", n, d) for n, d in values))


def _ifd(entries: list[tuple[int, _Entry]], base: int) -> bytes:
    """One little-endian TIFF IFD at offset ``base``, with its out-of-line values after it."""
    entries = sorted(entries)
    head = struct.pack("<H", len(entries))
    data = b""
    data_at = base + 2 + 12 * len(entries) + 4
    for tag, (_, kind, count, raw) in entries:
        if len(raw) <= 4:
            head += struct.pack("<HHI", tag, kind, count) + raw.ljust(4, b"\x00")
        else:
            head += struct.pack("<HHII", tag, kind, count, data_at + len(data))
            data += raw + (b"\x00" if len(raw) % 2 else b"")
    return head + struct.pack("<I", 0) + data


def exif_bytes(exif: ExifSpec) -> bytes:
    """The APP1 EXIF payload for ``exif``, serialised directly (Pillow's writer is slow)."""
    stamp = exif.taken_local.strftime("%Y:%m:%d %H:%M:%S")
    sub = [
        (0x9003, _ascii(stamp)),
        (0x9004, _ascii(stamp)),
        (0x9011, _ascii(_offset_text(exif.utc_offset))),
    ]
    gps: list[tuple[int, _Entry]] = []
    if exif.gps is not None:
        lat, lon = exif.gps
        t = exif.gps_time or exif.taken_local - timedelta(hours=exif.utc_offset)
        gps = [
            (0x0000, (0, _BYTE, 4, b"\x02\x02\x00\x00")),
            (0x0001, _ascii("N" if lat >= 0 else "S")),
            (0x0002, _rationals(_dms(lat))),
            (0x0003, _ascii("E" if lon >= 0 else "W")),
            (0x0004, _rationals(_dms(lon))),
            (0x0007, _rationals([(t.hour, 1), (t.minute, 1), (t.second, 1)])),
            (0x001D, _ascii(t.strftime("%Y:%m:%d"))),
        ]

    def ifd0(exif_at: int, gps_at: int) -> bytes:
        entries = [
            (0x010F, _ascii(exif.make)),
            (0x0110, _ascii(exif.model)),
            (0x0132, _ascii(stamp)),
            (0x8769, (0, _LONG, 1, struct.pack("<I", exif_at))),
        ]
        if exif.software:
            entries.append((0x0131, _ascii(exif.software)))
        if gps:
            entries.append((0x8825, (0, _LONG, 1, struct.pack("<I", gps_at))))
        return _ifd(entries, 8)

    exif_at = 8 + len(ifd0(0, 0))
    sub_ifd = _ifd(sub, exif_at)
    gps_at = exif_at + len(sub_ifd)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd0(exif_at, gps_at) + sub_ifd
    if gps:
        tiff += _ifd(gps, gps_at)
    return b"Exif\x00\x00" + tiff


def encode_jpeg(img: Image.Image, exif: ExifSpec | None, quality: int = 82) -> bytes:
    """JPEG bytes; without ``exif`` nothing is written, as when a chat app strips it."""
    buf = io.BytesIO()
    if exif is None:
        img.save(buf, "JPEG", quality=quality)
    else:
        img.save(buf, "JPEG", quality=quality, exif=exif_bytes(exif))
    return buf.getvalue()


def read_exif(data: bytes) -> dict[str, object]:
    """The fields the generator writes, read back with Pillow (absent keys: not written).

    Keys: make, model, software, datetime_original (naive local), offset (hours), gps_lat,
    gps_lon, gps_time (naive UTC).
    """
    with Image.open(io.BytesIO(data)) as img:
        ex = img.getexif()
    out: dict[str, object] = {}
    for tag, key in ((0x010F, "make"), (0x0110, "model"), (0x0131, "software")):
        if tag in ex:
            out[key] = str(ex[tag])
    sub = ex.get_ifd(0x8769)
    if 0x9003 in sub:
        out["datetime_original"] = datetime.strptime(str(sub[0x9003]), "%Y:%m:%d %H:%M:%S")
    if 0x9011 in sub:
        text = str(sub[0x9011])
        sign = -1.0 if text.startswith("-") else 1.0
        hh, mm = text[1:].split(":")
        out["offset"] = sign * (int(hh) + int(mm) / 60.0)
    gps = ex.get_ifd(0x8825)
    if 0x0002 in gps and 0x0004 in gps:
        d, m, s = (float(v) for v in gps[0x0002])
        lat = d + m / 60.0 + s / 3600.0
        d, m, s = (float(v) for v in gps[0x0004])
        lon = d + m / 60.0 + s / 3600.0
        out["gps_lat"] = -lat if gps.get(0x0001) == "S" else lat
        out["gps_lon"] = -lon if gps.get(0x0003) == "W" else lon
    if 0x0007 in gps and 0x001D in gps:
        gh, gm, gs = (float(v) for v in gps[0x0007])
        day = datetime.strptime(str(gps[0x001D]), "%Y:%m:%d")
        out["gps_time"] = day + timedelta(hours=gh, minutes=gm, seconds=gs)
    return out
