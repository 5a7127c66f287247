"""Text of a reportlab PDF without a PDF library (pypdf is not installed, poppler may not be).

reportlab writes page content as ``/ASCII85Decode /FlateDecode`` streams and, with the CID font
STSong-Light (UniGB-UCS2-H), each shown string ``(...) Tj`` is UTF-16BE with PDF escapes. This
decodes exactly that, one line per shown string.
"""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(
    rb"/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n(.*?)endstream", re.S
)
_SHOW = re.compile(rb"\(((?:\\.|[^\\)])*)\) Tj", re.S)
_ESC = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_SIMPLE = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    def sub(m: re.Match[bytes]) -> bytes:
        code = m.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _SIMPLE.get(code, code)

    return _ESC.sub(sub, raw)


def page_streams(pdf: bytes) -> list[bytes]:
    out = []
    for m in _STREAM.finditer(pdf):
        raw = m.group(1).strip()
        if raw.endswith(b"~>"):
            raw = raw[:-2]
        out.append(zlib.decompress(base64.a85decode(raw)))
    return out


def pdf_lines(pdf: bytes) -> list[str]:
    lines = []
    for content in page_streams(pdf):
        for m in _SHOW.finditer(content):
            lines.append(_unescape(m.group(1)).decode("utf-16-be", "replace"))
    return lines


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))
