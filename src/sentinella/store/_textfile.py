"""Text files as an editor sees them: line counts, encodings, and a tolerant CSV record reader.

DuckDB's CSV reader is fast but, on a malformed file, it can stop early, fold the rest of the
file into one rejected record, or refuse a file whose line endings are mixed. So every text file
is also scanned here (a few ``bytes.count`` calls per megabyte): the scan says how many lines an
editor shows and whether the endings are uniform, which lets the caller check DuckDB's result.
Files that fail the check are read by :func:`csv_records`, a streaming reader in Python that
treats ``\\r\\n``, ``\\n`` and ``\\r`` alike as line ends, rejects a broken record on the line
where it starts and goes on with the next line.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

CHUNK_BYTES = 1 << 22
LINE_ENDS = re.compile(rb"\r\n|\n|\r")
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Encodings whose multi-byte characters never contain the bytes of \n, \r, '"' or ','
# (GB18030, GBK, Big5, Shift_JIS trail bytes are >= 0x30 or 0x40), so lines split on bytes.
_WIDE_ENCODINGS = {"utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"}


class EncodingError(ValueError):
    """A file cannot be decoded with the encoding it was given."""


# Python codecs that are not how a file's text is stored: transforms of text or of names, and
# ``undefined``, which refuses every byte
_NOT_FILE_ENCODINGS = frozenset({"undefined", "idna", "punycode", "unicode_escape", "raw_unicode_escape"})


def canonical_encoding(name: str) -> str:
    """Python's name for a file encoding (``GBK`` → ``gbk``); raises LookupError if unknown or
    if the codec is not one a text file is written in (``base64``, ``rot13``, ``undefined``)."""
    try:
        info = codecs.lookup(name)
    except ValueError as error:  # a name with a NUL character ("\x00", from a fuzzed API query)
        raise LookupError(f"{name!r} is not an encoding name") from error
    canonical = info.name.replace("-", "_")
    if not getattr(info, "_is_text_encoding", True) or canonical in _NOT_FILE_ENCODINGS:
        raise LookupError(f"{name!r} is not a text file encoding")
    return canonical


@dataclass(frozen=True)
class LineScan:
    """What a byte scan of a text file found."""

    lines: int  # lines an editor shows (a last line without a line end counts)
    lf: int
    cr: int
    crlf: int
    blank_lines: bool  # an empty line anywhere (only looked for when asked)
    has_quote: bool
    trailing_blank_lines: int = 0  # empty lines at the very end, which shift no line number

    @property
    def uniform_endings(self) -> bool:
        """All ``\\n`` or all ``\\r\\n``: the only files DuckDB's reader is trusted with."""
        return self.cr == 0 or self.cr == self.lf == self.crlf


def scan_lines(path: Path, *, find_blank_lines: bool = False) -> LineScan:
    """Count line ends with numpy (a few milliseconds per 4 MB chunk), carrying chunk edges.

    Empty lines need no search of their own when the caller compares record counts: they make
    the file longer than the records it holds. ``find_blank_lines`` looks for them anyway (a
    one-column CSV, where DuckDB reads an empty line as a record).
    """
    lf = cr = crlf = 0
    blank = has_quote = False
    previous = b""
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            data = np.frombuffer(chunk, dtype=np.uint8)
            lf += int(np.count_nonzero(data == 10))
            if b"\r" in chunk:
                is_cr = data == 13
                cr += int(np.count_nonzero(is_cr))
                crlf += int(np.count_nonzero(is_cr[:-1] & (data[1:] == 10)))
            if previous.endswith(b"\r") and chunk.startswith(b"\n"):
                crlf += 1
            if find_blank_lines and not blank:
                edge = previous + chunk
                blank = b"\n\n" in edge or b"\n\r\n" in edge or b"\r\r" in edge
            has_quote = has_quote or b'"' in chunk
            previous = chunk[-2:]
            last = chunk
    ends_with_newline = last.endswith((b"\n", b"\r"))
    # Line ends: every \n, plus every \r not followed by \n.
    line_ends = lf + cr - crlf
    lines = line_ends + (0 if ends_with_newline or not last else 1)
    tail = last[len(last.rstrip(b"\r\n")) :]
    trailing = max(0, len(LINE_ENDS.findall(tail)) - 1) if len(tail) < len(last) else 0
    return LineScan(lines, lf, cr, crlf, blank, has_quote, trailing)


Line = tuple[int, bytes]  # (1-based number as an editor shows it, bytes with the line end)


def physical_lines(path: Path, max_line_bytes: int) -> Iterator[Line]:
    """Every line of a file, split at ``\\r\\n``, ``\\n`` or ``\\r``, streamed in chunks.

    A line longer than ``max_line_bytes`` is cut there (the caller rejects it as too long).
    """
    number = 0
    carry = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            data = carry + chunk if carry else chunk
            pieces = data.splitlines(keepends=True)
            carry = pieces.pop() if pieces else b""
            if carry.endswith(b"\n"):
                pieces.append(carry)
                carry = b""
            for number, piece in enumerate(pieces, start=number + 1):  # noqa: B020
                yield number, piece
            while len(carry) > max_line_bytes:
                number += 1
                yield number, carry[:max_line_bytes]
                carry = carry[max_line_bytes:]
    if carry:
        yield number + 1, carry


def strip_line_end(data: bytes) -> bytes:
    return data.rstrip(b"\r\n") if data.endswith((b"\n", b"\r")) else data


def transcode(source: Path, target: Path, encoding: str) -> None:
    """Write ``source`` as UTF-8, streaming; raises EncodingError at the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with source.open("rb") as reading, target.open("wb") as writing:
        while True:
            chunk = reading.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                raise EncodingError(f"is not valid {encoding} (byte {offset + error.start})") from error
            writing.write(text.encode("utf-8"))
            offset += len(chunk)
            if not chunk:
                break


def is_wide(encoding: str) -> bool:
    return canonical_encoding(encoding) in _WIDE_ENCODINGS


def decodes_as(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


class Record(NamedTuple):
    """One record of a CSV file: its fields, or why it was refused (with its bytes)."""

    line: int  # where it starts
    span: int  # lines it takes
    fields: list[str] | None
    reason: str | None = None
    raw: bytes = b""


def _decode(data: bytes, encoding: str) -> tuple[str, bool]:
    """Text and whether every byte decoded; bad bytes become surrogates, never '?'."""
    try:
        return data.decode(encoding), True
    except UnicodeDecodeError:
        return data.decode(encoding, errors="surrogateescape"), False


def shown_text(data: bytes, encoding: str) -> str:
    """Bytes for a message: undecodable bytes as \\xNN escapes."""
    return data.decode(encoding, errors="backslashreplace")


class _Feed:
    """Decoded lines for ``csv.reader``, remembering those the current record took.

    ``csv.reader`` pulls exactly the lines one record needs, so after each record (or error)
    :meth:`take` returns that record's lines; :meth:`push_back` returns lines to be read again.
    """

    def __init__(self, lines: Iterator[Line], encoding: str) -> None:
        self._lines = lines
        self._encoding = encoding
        self._again: deque[Line] = deque()
        self.taken: list[Line] = []
        self.clean = True

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = self._again.popleft() if self._again else next(self._lines)
        self.taken.append(line)
        try:
            return line[1].decode(self._encoding)
        except UnicodeDecodeError:
            self.clean = False
            return line[1].decode(self._encoding, errors="surrogateescape")

    def take(self) -> tuple[list[Line], bool]:
        taken, clean = self.taken, self.clean
        self.taken, self.clean = [], True
        return taken, clean

    def push_back(self, lines: list[Line]) -> None:
        self._again.extendleft(reversed(lines))


def _broken(error: str, max_record_bytes: int) -> str:
    if error.startswith("field larger than field limit"):
        return f"is longer than {max_record_bytes >> 20} MB"
    if error == "unexpected end of data":
        return "opens a quote that is never closed"
    return "has text after a closing quote, or a quote that is never closed"


def csv_records(
    path: Path,
    *,
    delimiter: str,
    width: int,
    encoding: str,
    max_record_bytes: int,
) -> Iterator[Record]:
    """The records after the header, each with the editor line it starts on.

    Empty lines are skipped (they are lines, not records). A quoted field may hold line ends;
    a quote that is still open at the end of the file, that closes into text, or that closes
    lines later into a record of the wrong width, rejects the record's first line only, and
    reading goes on from the next line. A one-line record with too few or too many fields is
    rejected. Bytes that do not decode reject their record, which keeps its bytes.
    """
    csv.field_size_limit(max(max_record_bytes, 1 << 20))
    lines = physical_lines(path, max_record_bytes)
    if next(lines, None) is None:  # the header
        return
    feed = _Feed(lines, encoding)
    while True:
        reader = csv.reader(feed, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        try:
            for fields in reader:
                taken, clean = feed.take()
                first = taken[0]
                if not fields and len(taken) == 1:
                    continue  # an empty line
                if len(taken) > 1 and len(fields) != width:
                    # Most likely a quote left open that paired with one on a later line:
                    # refuse the line it opened on and read the following lines again.
                    feed.push_back(taken[1:])
                    reason = "opens a quote that is never closed"
                    yield Record(first[0], 1, None, reason, strip_line_end(first[1]))
                    continue
                if not clean or len(fields) != width:
                    data = strip_line_end(b"".join(line[1] for line in taken))
                    reason = (
                        f"is not valid {_label(encoding)}"
                        if not clean
                        else f"has {'fewer' if len(fields) < width else 'more'} fields than the header"
                    )
                    yield Record(first[0], len(taken), None, reason, data)
                    continue
                yield Record(first[0], len(taken), fields)
            return
        except csv.Error as error:
            taken, _ = feed.take()
            if not taken:
                return
            feed.push_back(taken[1:])
            first = taken[0]
            yield Record(first[0], 1, None, _broken(str(error), max_record_bytes), strip_line_end(first[1]))


def text_lines(path: Path, *, encoding: str, max_line_bytes: int) -> Iterator[tuple[int, str | None, bytes]]:
    """JSON lines: (editor line, text or None when it does not decode, bytes).

    Lines of nothing but spaces and tabs are blank: skipped, as the DuckDB path skips them.
    """
    for index, (number, line) in enumerate(physical_lines(path, max_line_bytes)):
        data = strip_line_end(line)
        if index == 0:
            data = data.removeprefix(UTF8_BOM) if encoding == "utf_8" else data
        if not data.strip(b" \t"):
            continue
        text, clean = _decode(data, encoding)
        yield number, (text if clean else None), data


def _label(encoding: str) -> str:
    names = {"utf_8": "UTF-8", "gb18030": "GB18030", "gbk": "GBK", "big5": "Big5", "iso8859_1": "Latin-1"}
    return names.get(encoding, encoding)


def encoding_label(encoding: str) -> str:
    return _label(encoding)
