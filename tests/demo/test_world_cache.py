"""The demo reuses its world only when it is exactly what the same arguments would generate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sentinella.demo._world_cache import generator_fingerprint, remember_world, reusable_world
from sentinella.synth import generate_world


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    case, stamp = tmp_path / "case", tmp_path / "cache" / "stamp.json"
    summary = generate_world(case, members=300, seed=3, media=False)
    remember_world(case, stamp, summary, members=300, seed=3, media=False)
    return case, stamp


def test_the_same_arguments_reuse_the_world_with_its_summary(world: tuple[Path, Path]) -> None:
    case, stamp = world
    again = reusable_world(case, stamp, members=300, seed=3, media=False)
    fresh = generate_world(case.parent / "fresh", members=300, seed=3, media=False)
    assert again is not None
    assert (again.rows, again.truth_rows, again.planted) == (fresh.rows, fresh.truth_rows, fresh.planted)
    assert again.out == case


@pytest.mark.parametrize(
    "arguments", [{"members": 301, "seed": 3, "media": False}, {"members": 300, "seed": 4, "media": False}]
)
def test_other_arguments_generate_again(world: tuple[Path, Path], arguments: dict[str, int]) -> None:
    case, stamp = world
    assert reusable_world(case, stamp, **arguments) is None  # type: ignore[arg-type]


def test_a_touched_added_or_removed_file_generates_again(world: tuple[Path, Path]) -> None:
    case, stamp = world
    members = case / "members.parquet"
    info = members.stat()
    os.utime(members, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    assert reusable_world(case, stamp, members=300, seed=3, media=False) is None
    os.utime(members, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert reusable_world(case, stamp, members=300, seed=3, media=False) is not None
    (case / "extra.csv").write_text("x\n")
    assert reusable_world(case, stamp, members=300, seed=3, media=False) is None
    (case / "extra.csv").unlink()
    (case / "ties.parquet").unlink()
    assert reusable_world(case, stamp, members=300, seed=3, media=False) is None


def test_a_broken_or_missing_stamp_generates_again(world: tuple[Path, Path]) -> None:
    case, stamp = world
    stamp.write_text("{not json")
    assert reusable_world(case, stamp, members=300, seed=3, media=False) is None
    stamp.unlink()
    assert reusable_world(case, stamp, members=300, seed=3, media=False) is None


def test_the_fingerprint_covers_the_generators_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A change to the generator's code (here: a copy of the package with one byte changed) changes it."""
    import shutil

    import sentinella

    before = generator_fingerprint()
    assert before == generator_fingerprint()
    copy = tmp_path / "sentinella"
    shutil.copytree(Path(sentinella.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sentinella, "__file__", str(copy / "__init__.py"))
    assert generator_fingerprint() == before
    painter = copy / "synth" / "_images.py"
    painter.write_text(painter.read_text() + "\n# changed\n")
    assert generator_fingerprint() != before
