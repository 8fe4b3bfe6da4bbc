"""Which text encoding a feed's bytes are in.

In order: a byte-order mark; the encoding an XML feed declares (``<?xml ... encoding="..."?>``,
which the XML parser honours itself); UTF-8 when the bytes are UTF-8, or *mostly* UTF-8 (more
well-formed non-ASCII characters than broken sequences: then the rows holding the broken bytes
are reported one by one and every other row is read); otherwise ``charset-normalizer``'s guess
for a legacy code page, Windows-1252 first among the guesses that read the bytes equally well
(the WHATWG encoding standard reads every "Latin-1" label as Windows-1252, and short feeds give
several code pages the same score).

An encoding in which ``"``, ``,``, tab, CR or LF could be part of another character (UTF-16,
Shift JIS, ...) is turned into UTF-8 as a whole before the records are cut
(:mod:`.records`); a single-byte code page is decoded record by record.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

__all__ = ["FeedEncoding", "sniff"]

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_XML_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_CHUNK = 1024 * 1024
_NOT_ASCII_COMPATIBLE = ("utf_16", "utf_32", "utf_7")
_PREFERRED = "cp1252"


@dataclass(frozen=True, slots=True)
class FeedEncoding:
    """The codec a feed's bytes are read with, and how it was chosen."""

    codec: str
    how: str = "utf-8"
    """``utf-8`` (the bytes are UTF-8), ``bom``, ``declared``, ``detected`` or
    ``utf-8 with undecodable bytes``."""

    def __str__(self) -> str:
        return self.codec if self.how == "utf-8" else f"{self.codec} ({self.how})"


def _utf8_counts(data: bytes) -> tuple[int, int]:
    """(well-formed non-ASCII characters, broken sequences) of ``data`` read as UTF-8, a chunk
    at a time (no copy of the whole feed)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    good = bad = 0
    for offset in range(0, len(data), _CHUNK):
        chunk = data[offset:offset + _CHUNK]
        text = decoder.decode(chunk, final=offset + _CHUNK >= len(data))
        broken = text.count("\ufffd") - chunk.count(b"\xef\xbf\xbd")
        bad += broken
        good += len(text) - len(text.encode("ascii", "ignore")) - broken
    return good, bad


def _detected(data: bytes) -> str:
    matches = list(charset_normalizer.from_bytes(
        data, cp_exclusion=["utf_8", "utf_7", "utf_16", "utf_16_le", "utf_16_be", "utf_32",
                            "utf_32_le", "utf_32_be"]))
    if not matches:
        return _PREFERRED
    least = min(match.chaos for match in matches)
    plausible = [match for match in matches if match.chaos == least]
    if any(_PREFERRED in match.could_be_from_charset for match in plausible):
        return _PREFERRED
    return max(plausible, key=lambda match: match.coherence).encoding


def ascii_compatible(codec: str) -> bool:
    """Whether the record cutter may work on this encoding's bytes (single-byte, or UTF-8)."""
    name = codecs.lookup(codec).name.replace("-", "_")
    if name == "utf_8":
        return True
    if name.startswith(_NOT_ASCII_COMPATIBLE):
        return False
    return len(bytes(range(256)).decode(codec, errors="replace")) == 256


def sniff(data: bytes, *, xml: bool = False) -> tuple[bytes, FeedEncoding]:
    """``data`` without its byte-order mark, and the encoding to read it with."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):] if codec == "utf-8" else data
            return body, FeedEncoding(codec, "bom")
    if xml:
        declared = _XML_DECLARED.match(data[:1024])
        if declared is not None:
            name = declared.group(1).decode("ascii")
            try:
                codec = codecs.lookup(name).name
            except LookupError:
                return data, FeedEncoding(name, "declared")  # the XML parser says what is wrong
            return data, FeedEncoding(codec, "utf-8" if codec == "utf-8" else "declared")
    if data.isascii():
        return data, FeedEncoding("utf-8")
    good, bad = _utf8_counts(data)
    if bad == 0:
        return data, FeedEncoding("utf-8")
    if good > bad:
        return data, FeedEncoding("utf-8", "utf-8 with undecodable bytes")
    return data, FeedEncoding(_detected(data), "detected")
