"""One image file in, its hashes and EXIF out: safely, within a time and a memory bound.

Every way a file can be hostile ends in a status and a note instead of an exception: a path
leaving the case folder (``..``, an absolute path, a symlink), a missing file, a file too big, a
non-image with an image name (HEIC counts as an image only with the ``heic`` extra), a
declared size above the pixel cap (a decompression bomb is
refused before any pixel is decoded), a truncated file, an image that takes too long. JPEGs are
decoded at a reduced DCT scale (Pillow's ``draft``): a 12-megapixel photo is decoded at 1/8 of
its size, never in full.

Files are processed by a pool of worker processes (one per core) in batches; each image runs
under an interval timer, so a pathological file costs at most ``timeout_seconds``.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from ._config import ProvenanceConfig
from ._exif import ExifRecord, read_exif
from ._hashes import centre_phash, colour_thumb, pdq_dihedral

STATUSES = (
    "ok",
    "missing",
    "outside_case",
    "not_a_file",
    "too_large",
    "not_an_image",
    "too_many_pixels",
    "truncated",
    "unreadable",
    "timeout",
)
MAX_SIDE = 512  # decoded pictures are reduced to this longest side before hashing
BATCH = 32


def _register_heif() -> bool:
    """HEIC/HEIF (iPhone photos) through pillow-heif, when the ``heic`` extra is installed."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


HAVE_HEIF = _register_heif()


@dataclass
class MediaResult:
    """What became of one file: its status, and for a readable image, hashes and EXIF."""

    index: int
    status: str
    note: str = ""
    file_bytes: int | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None
    pdq: npt.NDArray[np.uint64] | None = None  # (8, 4) dihedral variants
    pdq_quality: int | None = None
    phash: npt.NDArray[np.uint64] | None = None  # (2, 1) centre, centre mirrored
    thumb: npt.NDArray[np.uint8] | None = None  # (8, 8, 3)
    exif: ExifRecord = field(default_factory=ExifRecord)


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


def resolve(case_dir: Path, relative: str | None) -> tuple[Path | None, str, str]:
    """The file a ``media.path`` names inside the case folder, or a status and a note why not."""
    if not relative or not relative.strip():
        return None, "missing", "empty path"
    root = case_dir.resolve()
    candidate = case_dir / relative
    if Path(relative).is_absolute():
        return None, "outside_case", f"absolute path {relative!r} is not inside the case folder"
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError) as error:  # symlink loops
        return None, "unreadable", f"{relative!r} cannot be resolved ({error})"
    if not real.is_relative_to(root):
        how = "a symlink" if candidate.is_symlink() or real != candidate.absolute() else "a path"
        return None, "outside_case", f"{relative!r} is {how} leading outside the case folder"
    if not real.exists():
        return None, "missing", f"{relative!r} does not exist in the case folder"
    if not real.is_file():
        return None, "not_a_file", f"{relative!r} is not a regular file"
    return real, "ok", ""


def process_file(index: int, path: Path | None, status: str, note: str, cfg: ProvenanceConfig) -> MediaResult:
    """Read, decode and hash one file (the worker's unit of work)."""
    if path is None:
        return MediaResult(index, status, note)
    timed = cfg.timeout_seconds > 0 and _can_time()
    if timed:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, cfg.timeout_seconds)
    try:
        return _process(index, path, cfg)
    except _Timeout:
        return MediaResult(index, "timeout", f"took longer than {cfg.timeout_seconds:g} s: skipped")
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _can_time() -> bool:
    import threading

    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _process(index: int, path: Path, cfg: ProvenanceConfig) -> MediaResult:
    try:
        size = path.stat().st_size
        if size > cfg.max_file_bytes:
            return MediaResult(
                index, "too_large", f"{size:,} bytes, above the {cfg.max_file_bytes:,} cap", size
            )
        data = path.read_bytes()
    except OSError as error:
        return MediaResult(index, "unreadable", f"cannot read: {error.strerror or error}")
    result = MediaResult(index, "ok", file_bytes=len(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pillow on malformed EXIF: read_exif notes it
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as error:
            if isinstance(error, UnidentifiedImageError):
                return _fail(result, "not_an_image", "not an image Pillow can read (whatever its extension)")
            return _fail(result, "too_many_pixels", f"declared size above the pixel cap ({error})")
        except Exception as error:
            return _fail(result, "unreadable", f"cannot open ({type(error).__name__}: {error})")
        with img:
            result.format, (result.width, result.height) = img.format, img.size
            if img.width * img.height > cfg.max_pixels:
                return _fail(
                    result,
                    "too_many_pixels",
                    f"{img.width}x{img.height} = {img.width * img.height:,} pixels, above the "
                    f"{cfg.max_pixels:,} cap (decompression bomb?): not decoded",
                )
            result.exif = read_exif(img)
            try:
                if img.format == "JPEG":
                    img.draft("RGB", (cfg.decode_side, cfg.decode_side))
                img.load()
                rgb = img.convert("RGB")
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
                return _fail(result, "too_many_pixels", str(error))
            except OSError as error:
                if "truncated" in str(error) or "broken data stream" in str(error):
                    return _fail(result, "truncated", f"truncated file: {error}")
                return _fail(result, "unreadable", f"cannot decode ({error})")
            except Exception as error:
                return _fail(result, "unreadable", f"cannot decode ({type(error).__name__}: {error})")
    if max(rgb.size) > MAX_SIDE:
        rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    result.pdq, result.pdq_quality = pdq_dihedral(np.asarray(rgb))
    result.phash = centre_phash(rgb)
    result.thumb = colour_thumb(rgb)
    return result


def _fail(result: MediaResult, status: str, note: str) -> MediaResult:
    result.status, result.note = status, note
    return result


def _batch(items: list[tuple[int, Path | None, str, str]], cfg: ProvenanceConfig) -> list[MediaResult]:
    return [process_file(i, p, s, n, cfg) for i, p, s, n in items]


def process_all(
    case_dir: Path,
    paths: Sequence[str | None],
    cfg: ProvenanceConfig,
    progress: Callable[[int, int], None] | None = None,
    cache: Path | None = None,
) -> list[MediaResult]:
    """Every file of ``media.path`` processed, in input order; one worker per core unless told.
    With a ``cache`` folder, files whose bytes were hashed before are not decoded again."""
    from . import _cache  # the cache module imports this one

    items = [(i, *resolve(case_dir, p)) for i, p in enumerate(paths)]
    results: list[MediaResult] = []
    digests: dict[int, str] = {}
    known: dict[str, MediaResult] = {}
    if cache is not None:
        known = _cache.load(cache, cfg)
        for i, path, status, _ in items:
            key = _cache.digest(path, cfg.max_file_bytes) if path is not None and status == "ok" else None
            if key is not None:
                digests[i] = key
        hits = [item for item in items if digests.get(item[0]) in known]
        for item in hits:
            results.append(replace(known[digests[item[0]]], index=item[0]))
        items = [item for item in items if digests.get(item[0]) not in known]
    total, done = len(items) + len(results), len(results)
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    workers = cfg.workers or (os.cpu_count() or 1)
    for chunk in _run(batches, cfg, workers if len(items) > 4 * BATCH else 1):
        results.extend(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    results.sort(key=lambda r: r.index)
    fresh = {digests[r.index]: r for r in results if r.index in digests and digests[r.index] not in known}
    if cache is not None and any(r.status == "ok" for r in fresh.values()):
        _cache.save(cache, cfg, known | fresh)
    return results


def _run(
    batches: list[list[tuple[int, Path | None, str, str]]], cfg: ProvenanceConfig, workers: int
) -> Iterator[list[MediaResult]]:
    if workers <= 1:
        for batch in batches:
            yield _batch(batch, cfg)
        return
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with context.Pool(workers) as pool:
        pending = [pool.apply_async(_batch, (batch, cfg)) for batch in batches]
        for handle in pending:
            yield handle.get()
