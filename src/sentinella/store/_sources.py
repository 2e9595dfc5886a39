"""Find the table files of a case folder."""

from __future__ import annotations

from dataclasses import dataclass
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
_KNOWN_UNSUPPORTED = {".xlsx", ".xls", ".json", ".txt", ".gz", ".zip", ".ods", ".sqlite", ".db"}


@dataclass(frozen=True)
class SourceFile:
    """One file holding rows of one table; ``display`` is what messages name."""

    table: str
    path: Path
    display: str
    fmt: str


@dataclass
class CaseFiles:
    by_table: dict[str, list[SourceFile]]
    unsupported: list[tuple[str, str]]  # (display name, reason)
    ignored: list[str]


def _part_files(folder: Path, case_dir: Path, table: str) -> tuple[list[SourceFile], list[str]]:
    """Part files of a table stored as a folder; all of one format, in name order."""
    files: list[SourceFile] = []
    skipped: list[str] = []
    for path in sorted(folder.iterdir()):
        fmt = FORMATS.get(path.suffix.lower())
        if path.is_file() and fmt is not None:
            files.append(SourceFile(table, path, str(path.relative_to(case_dir)), fmt))
        elif table == "media" and (path.is_dir() or path.suffix.lower() in _IMAGE_SUFFIXES):
            continue  # the images themselves live beside the media table's part files
        else:
            skipped.append(str(path.relative_to(case_dir)))
    return files, skipped


def find_case_files(case_dir: Path) -> CaseFiles:
    """Map each contract table to its files; anything else is reported, never silently read."""
    by_table: dict[str, list[SourceFile]] = {}
    unsupported: list[tuple[str, str]] = []
    ignored: list[str] = []
    for path in sorted(case_dir.iterdir()):
        name = path.name
        stem = name.split(".", 1)[0].lower() if path.is_file() else name.lower()
        if stem not in TABLES:
            ignored.append(name)
            continue
        if path.is_dir():
            files, skipped = _part_files(path, case_dir, stem)
            if files:
                by_table.setdefault(stem, []).extend(files)
                ignored.extend(skipped)
            elif stem != "media":  # media/ holds the images the media table points at
                ignored.append(name + "/")
            continue
        suffix = path.suffix.lower()
        fmt = FORMATS.get(suffix)
        if fmt is not None:
            by_table.setdefault(stem, []).append(SourceFile(stem, path, name, fmt))
        elif suffix in _KNOWN_UNSUPPORTED or suffix:
            unsupported.append(
                (
                    name,
                    f"unknown file format '{suffix}': export the table as .csv, .jsonl or .parquet",
                )
            )
        else:
            ignored.append(name)
    return CaseFiles(by_table, unsupported, ignored)
