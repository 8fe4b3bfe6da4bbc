"""A CSV/TSV feed cut into records on its bytes, each record bounded, before ``csv`` reads it.

Python's ``csv.reader`` refuses a field over its ``field_size_limit`` (128 KiB) and then goes
on reading from *inside* that quoted field: the field's lines come out as rows, so a CSV-looking
line in a long description becomes a product. Here the records are found first, with the rules
of ``csv``'s default dialect (a field that starts with ``"`` runs to the matching ``"``, ``""``
is a quote inside it; a ``"`` anywhere else is an ordinary character; a record ends at an
unquoted line break), by ``re`` and ``bytes.find`` over the raw bytes, so a 50 MB field is
stepped over at C speed and never copied. Only a record of at most :data:`MAX_ROW_BYTES` is
handed on (decoded and split into cells by ``csv.reader``); a longer one is reported as its own
row and the next record is read where that one really ends. A quoted field that is never closed
ends its record at the end of the line it opened on, and reading goes on from the next line.

The cutting works on any encoding in which ``"``, the delimiter, CR and LF are single bytes that
never occur inside another character (UTF-8 and the single-byte code pages); ``encodings``
turns any other into UTF-8 first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["MAX_ROW_BYTES", "Record", "records"]

MAX_ROW_BYTES = 1024 * 1024
"""The largest record (one product row, its quoted line breaks included) a feed may have."""

_QUOTE = 0x22


@dataclass(frozen=True, slots=True)
class Record:
    """Where one record lies in the feed's bytes (``start:end``, its line break left out) and
    on which lines (1-based)."""

    start: int
    end: int
    first_line: int
    last_line: int
    unterminated: bool = False
    """A quoted field opened in it is never closed: the record stops at the end of that line."""

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def position(self) -> str:
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


def _breaks(data: bytes, start: int, end: int) -> int:
    """Line breaks (LF, CRLF or a lone CR) in ``data[start:end]``, counted without a copy."""
    return (data.count(b"\n", start, end) + data.count(b"\r", start, end)
            - data.count(b"\r\n", start, end))


def records(data: bytes, delimiter: str) -> Iterator[Record]:
    """Every record of ``data`` in order, blank lines included (the reader skips them)."""
    sep = re.escape(delimiter.encode())
    # In an unquoted stretch, what matters is the next line break or a quote opening a field.
    stop = re.compile(rb"[\r\n]|(?<=" + sep + rb")\"")
    line_break = re.compile(rb"[\r\n]")
    size = len(data)
    pos = 0
    line = 1
    while pos < size:
        start = pos
        unterminated = False
        opening = pos
        if data[pos] == _QUOTE:
            pos = _after_quoted(data, pos)
        while True:
            if pos < 0:  # a quoted field that is never closed: end the record with its line
                unterminated = True
                found = line_break.search(data, opening)
                end = found.start() if found else size
                break
            found = stop.search(data, pos)
            if found is None:
                end = size
                break
            if data[found.start()] == _QUOTE:
                opening = found.start()
                pos = _after_quoted(data, opening)
                continue
            end = found.start()
            break
        last = line + _breaks(data, start, end)
        yield Record(start, end, line, last, unterminated)
        pos = end + (2 if data[end:end + 2] == b"\r\n" else 1)
        line = last + 1


def _after_quoted(data: bytes, opening: int) -> int:
    """The index just past the quote closing the field opened at ``opening``, or -1."""
    pos = opening + 1
    while True:
        closing = data.find(b'"', pos)
        if closing < 0:
            return -1
        if data[closing + 1:closing + 2] == b'"':  # "" is a quote inside the field
            pos = closing + 2
            continue
        return closing + 1
