"""Reading a supplier CSV: detect its encoding and separator, then stream its records.

Suppliers send what their tools export: UTF-8 (with or without BOM), Excel's Windows-1252 "CSV"
(``café``, ``€`` as single bytes), Excel's "Unicode text" (UTF-16 with BOM, tab separated); comma,
semicolon (European Excel) or tab separated. Records are streamed with ``csv.reader`` over an
``io.TextIOWrapper``, so memory does not grow with the number of rows.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

# Bytes decoded at once while checking that a file is valid UTF-8 (the text is discarded).
_CHUNK = 1 << 20
# How much of the file the separator detection looks at (the header row is within it).
_SNIFF_BYTES = 64 * 1024
SEPARATORS = (",", ";", "\t")
# Descriptions can be long; csv's default field limit (128 KiB) would reject a few of them.
FIELD_SIZE_LIMIT = 8 * 1024 * 1024


class UnreadableFile(Exception):
    """The upload is not a CSV we can read; the message says why, in the seller's words."""


@dataclass(frozen=True)
class CsvFormat:
    """How to read a file: Python codec name and field separator."""

    encoding: str
    delimiter: str

    @property
    def decimal_comma(self) -> bool:
        """Semicolon-separated files come from locales that write ``12,5`` for twelve and a half."""
        return self.delimiter == ";"


def _is_utf8(content: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(content), _CHUNK):
            decoder.decode(content[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(content: bytes) -> str:
    """The codec to read ``content`` with.

    A BOM decides (UTF-8 or UTF-16). Without one, a file that decodes as UTF-8 is UTF-8 (plain ASCII
    included); anything else is taken as Windows-1252, what Excel writes for "CSV (Comma delimited)" on
    Western-language Windows. The check is incremental, so the text is never held whole.
    """
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8" if _is_utf8(content) else "cp1252"


def detect_delimiter(header_line: str) -> str:
    """The separator used by the header row: the most frequent of comma, semicolon and tab.

    Header names rarely contain any of them, so counting them in the first line is reliable; a tie
    (or a one-column file) means comma.
    """
    counts = {sep: header_line.count(sep) for sep in SEPARATORS}
    return max(SEPARATORS, key=counts.__getitem__)  # max() keeps the first on a tie: comma


def detect_format(content: bytes) -> CsvFormat:
    """Encoding and separator of an uploaded file.

    Raises:
        UnreadableFile: the file is empty, or binary (an Excel workbook, a zip, an image).
    """
    if not content.strip():
        raise UnreadableFile("The file is empty.")
    encoding = detect_encoding(content)
    head = content[:_SNIFF_BYTES]
    if encoding != "utf-16" and b"\x00" in head:
        if head.startswith(b"PK\x03\x04"):
            raise UnreadableFile(
                "This is an Excel workbook (.xlsx), not a CSV file. In Excel choose File → Save As → "
                "CSV UTF-8 (Comma delimited), then upload that file."
            )
        raise UnreadableFile(
            "This file is not a text (CSV) file. Export the inventory as CSV and upload that."
        )
    text = head.decode(encoding, errors="replace")
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return CsvFormat(encoding=encoding, delimiter=detect_delimiter(first_line))


def open_text(content: bytes, fmt: CsvFormat) -> io.TextIOWrapper:
    """A text stream over ``content``; Windows-1252's five unassigned bytes become U+FFFD."""
    errors = "replace" if fmt.encoding == "cp1252" else "strict"
    return io.TextIOWrapper(io.BytesIO(content), encoding=fmt.encoding, errors=errors, newline="")


@dataclass(frozen=True)
class Record:
    """One CSV record: its row number as a spreadsheet shows it (the header is row 1) and its cells."""

    number: int
    cells: list[str] | None
    error: str = ""


def iter_records(content: bytes, fmt: CsvFormat) -> Iterator[Record]:
    """Stream the records of ``content``, header first.

    A record the csv module cannot parse (an over-long field, a stray NUL) comes back with ``error``
    set and no cells, so the import can report it and carry on with the next line.
    """
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(open_text(content, fmt), delimiter=fmt.delimiter)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(number, None, f"the line could not be read as CSV ({exc})")
            continue
        if number == 1 and cells:
            cells[0] = cells[0].lstrip("\ufeff")  # a second BOM (files concatenated by hand)
        yield Record(number, cells)


def estimate_rows(content: bytes) -> int:
    """About how many data rows ``content`` holds (line breaks minus the header), for the progress bar."""
    lines = content.count(b"\n")
    if content and not content.endswith(b"\n"):
        lines += 1
    return max(0, lines - 1)
