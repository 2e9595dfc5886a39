"""Find the table files of a case folder.

A table's rows are in ``NAME.ext`` (``members.csv``) or in a ``NAME/`` folder of part files,
nothing else: ``members.2023-backup.csv`` is not members (a stale backup must not win over the
current export), and ``order.csv`` is not orders. Both are listed as ignored with a hint.
Links that lead out of the case folder are refused without reading or naming their target.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from sentinella.contract import TABLES

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
# Spreadsheets and the like: a clear "export as CSV" beats a silent skip.
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".gif"}
_OUTSIDE = "is a link to a place outside the case folder and was not read (copy the file into the folder)"


@dataclass(frozen=True)
class SourceFile:
    """One file holding rows of one table; ``display`` is its path relative to the case folder."""

    table: str
    path: Path
    display: str
    fmt: str


@dataclass
class CaseFiles:
    by_table: dict[str, list[SourceFile]]
    unsupported: list[tuple[str, str]]  # (display name, reason)
    ignored: list[str]
    warnings: list[str] = field(default_factory=list)


def _outside(path: Path, root: Path) -> bool:
    """True when ``path`` (a link, or inside a linked folder) resolves outside ``root``."""
    try:
        return not path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return True


def _did_you_mean(stem: str) -> str | None:
    close = difflib.get_close_matches(stem.lower(), list(TABLES), n=1, cutoff=0.75)
    return close[0] if close else None


def _part_files(
    folder: Path, case_dir: Path, root: Path, table: str
) -> tuple[list[SourceFile], list[str], list[tuple[str, str]]]:
    """Part files of a table stored as a folder, in name order."""
    files: list[SourceFile] = []
    skipped: list[str] = []
    refused: list[tuple[str, str]] = []
    for path in sorted(folder.iterdir()):
        display = str(path.relative_to(case_dir))
        fmt = FORMATS.get(path.suffix.lower())
        if _outside(path, root):
            refused.append((display, _OUTSIDE))
        elif path.is_file() and fmt is not None:
            files.append(SourceFile(table, path, display, fmt))
        elif table == "media" and (path.is_dir() or path.suffix.lower() in _IMAGE_SUFFIXES):
            continue  # the images themselves live beside the media table's part files
        else:
            skipped.append(display)
    return files, skipped, refused


def find_case_files(case_dir: Path) -> CaseFiles:
    """Map each contract table to its files; anything else is reported, never silently read."""
    found = CaseFiles({}, [], [])
    root = case_dir.resolve()
    for path in sorted(case_dir.iterdir()):
        name = path.name
        if _outside(path, root):
            found.unsupported.append((name, _OUTSIDE))
            continue
        if path.is_dir():
            table = name.lower()
            if table not in TABLES:
                found.ignored.append(name + "/")
                guess = _did_you_mean(name)
                if guess:
                    found.warnings.append(f"{name}/: not read; did you mean {guess}/?")
                continue
            files, skipped, refused = _part_files(path, case_dir, root, table)
            found.unsupported.extend(refused)
            if files:
                found.by_table.setdefault(table, []).extend(files)
                found.ignored.extend(skipped)
            elif table != "media" and not refused:  # media/ holds the images the media table points at
                found.ignored.append(name + "/")
            continue
        _classify_file(found, path)
    return found


def _classify_file(found: CaseFiles, path: Path) -> None:
    name = path.name
    suffix = path.suffix.lower()
    stem = name[: len(name) - len(suffix)] if suffix else name
    fmt = FORMATS.get(suffix)
    table = stem.lower()
    if table in TABLES and fmt is not None:
        found.by_table.setdefault(table, []).append(SourceFile(table, path, name, fmt))
        return
    first = name.split(".", 1)[0].lower()
    if (table in TABLES or first in TABLES) and fmt is None and suffix:
        found.unsupported.append(
            (name, f"unknown file format '{suffix}': export the table as .csv, .jsonl or .parquet")
        )
        return
    found.ignored.append(name)
    if fmt is None:
        return
    if first in TABLES:
        found.warnings.append(
            f"{name}: not read as {first}: a table's file is named exactly {first}{suffix} (or is a "
            f"folder {first}/ of parts); rename it if it is the export to import"
        )
    elif guess := _did_you_mean(stem):
        found.warnings.append(f"{name}: not read; did you mean {guess}{suffix}?")
