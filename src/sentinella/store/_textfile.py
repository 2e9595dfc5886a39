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
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 1 << 22
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Encodings whose multi-byte characters never contain the bytes of \n, \r, '"' or ','
# (GB18030, GBK, Big5, Shift_JIS trail bytes are >= 0x30 or 0x40), so lines split on bytes.
_WIDE_ENCODINGS = {"utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"}


class EncodingError(ValueError):
    """A file cannot be decoded with the encoding it was given."""


def canonical_encoding(name: str) -> str:
    """Python's name for an encoding (``GBK`` → ``gbk``); raises LookupError if unknown."""
    return codecs.lookup(name).name.replace("-", "_")


@dataclass(frozen=True)
class LineScan:
    """What a byte scan of a text file found."""

    lines: int  # lines an editor shows (a last line without a line end counts)
    lf: int
    cr: int
    crlf: int
    blank_lines: bool  # an empty line anywhere
    has_quote: bool

    @property
    def uniform_endings(self) -> bool:
        """All ``\\n`` or all ``\\r\\n``: the only files DuckDB's reader is trusted with."""
        return self.cr == 0 or self.cr == self.lf == self.crlf


def scan_lines(path: Path) -> LineScan:
    """Count line ends with ``bytes.count`` (C speed), carrying bytes across chunk edges."""
    lf = cr = crlf = 0
    blank = has_quote = False
    previous = b""
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            lf += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            edge = previous[-2:] + chunk
            crlf += chunk.count(b"\r\n") + (1 if previous.endswith(b"\r") and chunk.startswith(b"\n") else 0)
            if not blank and (b"\n\n" in edge or b"\n\r\n" in edge or b"\r\r" in edge):
                blank = True
            has_quote = has_quote or b'"' in chunk
            previous = chunk[-2:]
            last = chunk
    ends_with_newline = last.endswith((b"\n", b"\r"))
    # Line ends: every \n, plus every \r not followed by \n.
    line_ends = lf + cr - crlf
    lines = line_ends + (0 if ends_with_newline or not last else 1)
    return LineScan(lines, lf, cr, crlf, blank, has_quote)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, as an editor shows it
    data: bytes  # with its line end


def physical_lines(path: Path, max_line_bytes: int) -> Iterator[Line]:
    """Every line of a file, split at ``\\r\\n``, ``\\n`` or ``\\r``, streamed in chunks.

    A line longer than ``max_line_bytes`` is cut there (the caller rejects it as too long).
    """
    number = 0
    carry = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            data = carry + chunk
            pieces = data.splitlines(keepends=True)
            carry = pieces.pop() if pieces else b""
            if carry.endswith(b"\n"):
                pieces.append(carry)
                carry = b""
            for piece in pieces:
                number += 1
                yield Line(number, piece)
            while len(carry) > max_line_bytes:
                number += 1
                yield Line(number, carry[:max_line_bytes])
                carry = carry[max_line_bytes:]
    if carry:
        number += 1
        yield Line(number, carry)


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


@dataclass(frozen=True)
class Record:
    """One record of a CSV file: its fields, or why it was refused (with its bytes)."""

    line: int  # where it starts
    span: int  # lines it takes
    fields: list[str] | None
    reason: str | None = None
    raw: bytes = b""


def _decode(data: bytes, encoding: str) -> tuple[str, bool]:
    """Text and whether every byte decoded; bad bytes become surrogates, never '?'."""
    text = data.decode(encoding, errors="surrogateescape")
    clean = True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        clean = False
    return text, clean


def shown_text(data: bytes, encoding: str) -> str:
    """Bytes for a message: undecodable bytes as \\xNN escapes."""
    return data.decode(encoding, errors="backslashreplace")


class _Window:
    """Lines read ahead of the current record, so a broken record can be undone."""

    def __init__(self, lines: Iterator[Line]) -> None:
        self._lines = lines
        self._ahead: deque[Line] = deque()

    def get(self, index: int) -> Line | None:
        while len(self._ahead) <= index:
            line = next(self._lines, None)
            if line is None:
                return None
            self._ahead.append(line)
        return self._ahead[index]

    def drop(self, count: int) -> None:
        for _ in range(count):
            self._ahead.popleft()


def _parse(text: str, delimiter: str) -> tuple[list[str] | None, str | None]:
    try:
        rows = list(csv.reader([text], delimiter=delimiter, quotechar='"', doublequote=True, strict=True))
    except csv.Error as error:
        return None, str(error)
    return (rows[0] if rows else []), None


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
    window = _Window(physical_lines(path, max_record_bytes))
    header = window.get(0)
    if header is None:
        return
    window.drop(1)
    while (first := window.get(0)) is not None:
        body = strip_line_end(first.data)
        if not body:
            window.drop(1)
            continue
        span, data = 1, first.data
        text, _ = _decode(data, encoding)
        fields, error = _parse(text, delimiter)
        while error == "unexpected end of data" and len(data) <= max_record_bytes:
            following = window.get(span)
            if following is None:
                break
            span += 1
            data += following.data
            if b'"' not in following.data:
                continue  # a line without a quote cannot close the open one
            text, _ = _decode(data, encoding)
            fields, error = _parse(text, delimiter)
        if error is not None:
            raw = strip_line_end(first.data)
            reason = (
                f"is longer than {max_record_bytes >> 20} MB"
                if len(data) > max_record_bytes and error == "unexpected end of data"
                else "opens a quote that is never closed"
                if error == "unexpected end of data"
                else "has text after a closing quote, or a quote that is never closed"
            )
            yield Record(first.number, 1, None, reason, raw)
            window.drop(1)
            continue
        assert fields is not None
        _, clean = _decode(data, encoding)
        data = strip_line_end(data)
        if not clean:
            yield Record(first.number, span, None, f"is not valid {_label(encoding)}", data)
        elif len(data) > max_record_bytes:
            yield Record(first.number, span, None, f"is longer than {max_record_bytes >> 20} MB", data)
        elif len(fields) != width and span > 1:
            # Most likely a quote left open that paired with one on a later line: refuse the
            # line it opened on and read the following lines again.
            raw = strip_line_end(first.data)
            yield Record(first.number, 1, None, "opens a quote that is never closed", raw)
            window.drop(1)
            continue
        elif len(fields) != width:
            word = "fewer" if len(fields) < width else "more"
            yield Record(first.number, span, None, f"has {word} fields than the header", data)
        else:
            yield Record(first.number, span, fields)
        window.drop(span)


def text_lines(path: Path, *, encoding: str, max_line_bytes: int) -> Iterator[tuple[int, str | None, bytes]]:
    """JSON lines: (editor line, text or None when it does not decode, bytes).

    Lines of nothing but spaces and tabs are blank: skipped, as the DuckDB path skips them.
    """
    for index, line in enumerate(physical_lines(path, max_line_bytes)):
        data = strip_line_end(line.data)
        if index == 0:
            data = data.removeprefix(UTF8_BOM) if encoding == "utf_8" else data
        if not data.strip(b" \t"):
            continue
        text, clean = _decode(data, encoding)
        yield line.number, (text if clean else None), data


def _label(encoding: str) -> str:
    names = {"utf_8": "UTF-8", "gb18030": "GB18030", "gbk": "GBK", "big5": "Big5", "iso8859_1": "Latin-1"}
    return names.get(encoding, encoding)


def encoding_label(encoding: str) -> str:
    return _label(encoding)
