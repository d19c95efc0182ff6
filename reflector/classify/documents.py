"""The first lines of an attached document's text: .docx/.odt (zip + XML) and simple PDFs (pure).

An LS often says nothing in the mail ("Please find attached.") and everything on its first page:
"LIAISON STATEMENT / From: ... / For: Information / Deadline: ...". Reading that page needs no
library: a .docx is a zip of XML, and a PDF's text sits in (...) strings of its content
streams, often deflated. Everything is bounded: at most `MAX_TEXT` characters come back, a
compressed stream is inflated to at most `_MAX_INFLATED` bytes (zip bombs), and anything that
does not parse gives "" instead of an error.

    document_text(attachment) -> str   # "" when the format is not one of these
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from reflector.mail.parse import Attachment

MAX_TEXT = 4000
_MAX_FILE = 20 * 1024 * 1024
_MAX_INFLATED = 256 * 1024
_ZIP_PARTS = {"word/document.xml", "content.xml"}
_BREAKS = re.compile(rb"</w:p>|<w:br/>|</text:p>|</text:h>|<w:tab/>")
_TAGS = re.compile(rb"<[^>]{0,2000}>")
_ENTITIES = {b"&amp;": b"&", b"&lt;": b"<", b"&gt;": b">", b"&quot;": b'"', b"&apos;": b"'"}
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_PDF_STRING = re.compile(rb"\(((?:\\.|[^()\\])*)\)\s*(?:'|Tj|\"|TJ|\])|(T\*|ET)")
_PDF_ESCAPE = re.compile(rb"\\([nrtbf()\\]|[0-7]{1,3})")
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"", b"f": b""}


def document_text(attachment: Attachment) -> str:
    """The beginning of the document's text, with one line per paragraph.

    >>> pdf = b"%PDF-1.4\\nstream\\nBT (LIAISON STATEMENT) ' (For: Action) ' ET\\nendstream"
    >>> a = Attachment("ls.pdf", None, "application/pdf", len(pdf), "", False, pdf)
    >>> document_text(a)
    'LIAISON STATEMENT\\nFor: Action'
    """
    data = attachment.payload
    if not data or len(data) > _MAX_FILE:
        return ""
    try:
        if data.startswith(b"PK\x03\x04"):
            return _zip_text(data)
        if data.startswith(b"%PDF"):
            return _pdf_text(data)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, KeyError):
        return ""
    return ""


def _zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        name = next((n for n in archive.namelist() if n in _ZIP_PARTS), None)
        if name is None:
            return ""
        with archive.open(name) as part:
            xml = part.read(_MAX_INFLATED)
    xml = _BREAKS.sub(b"\n", xml)
    text = _TAGS.sub(b"", xml)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return _tidy(text.decode("utf-8", "replace"))


def _pdf_text(data: bytes) -> str:
    lines: list[bytes] = []
    current: list[bytes] = []
    for stream in _STREAM.finditer(data[:_MAX_FILE]):
        content = stream.group(1)
        if not content.lstrip().startswith((b"BT", b"q", b"/", b"0", b"1")):
            try:
                inflater = zlib.decompressobj()
                content = inflater.decompress(content, _MAX_INFLATED)
            except zlib.error:
                continue
        for m in _PDF_STRING.finditer(content):
            if m.group(2) is not None or m.group(0).rstrip().endswith((b"'", b'"')):
                if m.group(1) is not None:
                    current.append(_unescape(m.group(1)))
                lines.append(b"".join(current))
                current = []
            else:
                current.append(_unescape(m.group(1)))
        if sum(map(len, lines)) > MAX_TEXT:
            break
    lines.append(b"".join(current))
    return _tidy("\n".join(line.decode("latin-1") for line in lines))


def _unescape(value: bytes) -> bytes:
    def one(m: re.Match[bytes]) -> bytes:
        code = m.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _PDF_ESCAPES.get(code, code)

    return _PDF_ESCAPE.sub(one, value)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)[:MAX_TEXT]
