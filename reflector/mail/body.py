"""The MIME tree of a message: its content types, its body text and its files (pure).

Read once, in walk order (RFC 2045-2049):

- The body text is what a mail reader shows: of a multipart/alternative the text/plain branch
  (else the last, most faithful one, RFC 2046 s.5.1.4), of a multipart/related its root
  (RFC 2387), of any other multipart every inline text part in order. HTML becomes text only
  when it is chosen.
- Files are parts with a file name or `Content-Disposition: attachment`, and every leaf that is
  not text/plain or text/html. An attached message (message/rfc822) is one file holding the
  message's bytes, and the files inside it follow it; its text is not part of our body. The
  machine-readable sections of a report (RFC 6522: delivery-status, disposition-notification,
  feedback-report, rfc822-headers) are neither body nor file.
- The Content-* fields are read from the raw values: the policy's header classes re-parse a
  parameterised field on every access, which doubled the parse time of a 300-part message.
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import quopri
import re
from dataclasses import dataclass, field
from email.message import Message

from reflector.mail.decode import (
    Notes,
    base64_leniently,
    clean_text,
    decode_bytes,
    surrogates_to_text,
    unfold,
)
from reflector.mail.fields import mime_field
from reflector.mail.htmltext import html_to_text


@dataclass(frozen=True)
class FilePart:
    """A part that is a file: name as the sender wrote it (decoded), type, bytes."""

    filename: str | None
    content_type: str
    inline: bool
    payload: bytes


@dataclass
class Body:
    """What `read_body` found."""

    text: str = ""
    html: str | None = None
    files: list[FilePart] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)


def read_body(msg: Message, notes: Notes) -> Body:
    """Walk `msg` once; malformed parts are read as far as possible and noted in `notes`."""
    reader = _BodyReader(notes)
    rendered = reader.read(msg, depth=0, nested=False)
    reader.body.text = _render(rendered)
    return reader.body


@dataclass
class _Rendered:
    """Body text chosen so far: (is_html, text) segments, HTML converted only at the end."""

    segments: list[tuple[bool, str]]

    @property
    def has_plain(self) -> bool:
        return any(not is_html for is_html, _ in self.segments)


def _render(rendered: _Rendered | None) -> str:
    if rendered is None:
        return ""
    texts = [html_to_text(text) if is_html else text for is_html, text in rendered.segments]
    text = "\n\n".join(t.strip("\r\n") for t in texts if t.strip())
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.lstrip("\ufeff\n").rstrip()


_REPORT_SECTIONS = frozenset(
    {
        "message/delivery-status",  # RFC 3464
        "message/global-delivery-status",  # RFC 6533
        "message/disposition-notification",  # RFC 8098
        "message/global-disposition-notification",
        "message/feedback-report",  # RFC 5965 (ARF)
        "text/rfc822-headers",  # RFC 6522 s.4
        "message/global-headers",
    }
)
_ATTACHED_MESSAGES = frozenset({"message/rfc822", "message/global", "message/news"})
_BODY_TYPES = frozenset({"text/plain", "text/html"})
_CONTENT_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_MAX_DEPTH = 40

# The email package's own defect classes, in words a secretary understands. (Boundaries that
# never appear are reported when the part is read as plain text instead.)
_STDLIB_DEFECTS = {
    "CloseBoundaryNotFoundDefect": "it does not end with its closing boundary; read to the end",
    "MissingHeaderBodySeparatorDefect": "a malformed header line; the rest was read as body",
    "FirstHeaderLineIsContinuationDefect": "its first header line is indented; ignored",
    "MisplacedEnvelopeHeaderDefect": "a 'From ' line among its headers; ignored",
}


@dataclass(frozen=True)
class _PartInfo:
    """What the Content-* fields of one part say, read from the raw values."""

    ctype: str
    params: dict[str, str]
    disposition: str | None
    filename: str | None

    @classmethod
    def of(cls, part: Message, notes: Notes) -> _PartInfo:
        raw_type = raw_disposition = None
        for name, value in part.raw_items():
            key = name.lower()
            if key == "content-type" and raw_type is None:
                raw_type = value
            elif key == "content-disposition" and raw_disposition is None:
                raw_disposition = value
        ctype, params = _mime(raw_type)
        if not _CONTENT_TYPE.fullmatch(ctype):
            # RFC 2045 s.5.2: a missing or unreadable Content-Type is the default type.
            if raw_type is not None:
                notes.add(f"unreadable Content-Type {clean_text(raw_type)[:60]!r}; read as text")
            ctype, params = part.get_default_type(), {}
        disposition, disposition_params = _mime(raw_disposition)
        filename = disposition_params.get("filename") or params.get("name")
        return cls(ctype, params, disposition or None, clean_text(filename or "") or None)


def _mime(raw: str | None) -> tuple[str, dict[str, str]]:
    return mime_field(unfold(surrogates_to_text(raw)[0])) if raw else ("", {})


class _BodyReader:
    """Walks the MIME tree once, collecting content types, files and the body text."""

    def __init__(self, notes: Notes) -> None:
        self.notes = notes
        self.body = Body()

    def read(self, part: Message, *, depth: int, nested: bool) -> _Rendered | None:
        """Read `part` and its children; return the body text it contributes.

        `nested` is True inside an attached message: its files are listed, its text is not ours.
        """
        info = _PartInfo.of(part, self.notes)
        self.body.content_types.append(info.ctype)
        for defect in part.defects:
            words = _STDLIB_DEFECTS.get(type(defect).__name__)
            if words:
                where = "the message" if depth == 0 else f"a {info.ctype} part"
                self.notes.add(f"{where}: {words}")
        if depth > _MAX_DEPTH:
            self.notes.add("the MIME structure is nested too deeply; inner parts were not read")
            return None
        try:
            if part.is_multipart():
                return self._container(part, info, depth, nested)
            return self._leaf(part, info, nested)
        except Exception as exc:  # one broken part must not cost the whole message
            self.notes.add(f"a {info.ctype} part could not be read ({type(exc).__name__})")
            return None

    def _container(
        self, part: Message, info: _PartInfo, depth: int, nested: bool
    ) -> _Rendered | None:
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if info.ctype.startswith("message/"):
            # An attached message (or another message/* the parser opened): one file, whose
            # own files are listed after it. Report sections are not files (RFC 6522).
            if info.ctype not in _REPORT_SECTIONS:
                self._attach(part, info, _message_bytes(part, children))
            if info.ctype in _ATTACHED_MESSAGES:
                for child in children:
                    self.read(child, depth=depth + 1, nested=True)
            return None
        found = [self.read(child, depth=depth + 1, nested=nested) for child in children]
        shown = [r for r in found if r is not None]
        if not shown:
            return None
        if info.ctype == "multipart/alternative":
            return next((r for r in shown if r.has_plain), shown[-1])
        if info.ctype == "multipart/related":
            return shown[0]
        return _Rendered([segment for r in shown for segment in r.segments])

    def _leaf(self, part: Message, info: _PartInfo, nested: bool) -> _Rendered | None:
        ctype = info.ctype
        if ctype in _REPORT_SECTIONS:
            return None
        if ctype.startswith("multipart/"):
            self.notes.add(f"{ctype} part has no usable boundary; read as plain text")
            ctype = "text/plain"
        if info.filename or ctype not in _BODY_TYPES or info.disposition == "attachment":
            self._attach(part, info, self._decoded(part, ctype))
            return None
        if nested:
            return None
        data = self._decoded(part, ctype)
        text, note = decode_bytes(data, info.params.get("charset"), f"a {ctype} part")
        self.notes.add(note)
        if ctype == "text/html":
            if self.body.html is None:
                self.body.html = text
            return _Rendered([(True, text)])
        return _Rendered([(False, text)])

    def _decoded(self, part: Message, ctype: str) -> bytes:
        data = part.get_payload(decode=True)
        if any("Base64" in type(d).__name__ for d in part.defects):
            # The email package gives up on some damage (bpo-27397) and returns the base64
            # text itself; decode what can be decoded instead.
            raw = part.get_payload()
            if isinstance(raw, str):
                data = base64_leniently(raw.encode("ascii", "surrogateescape"))
            self.notes.add(f"broken base64 in a {ctype} part; decoded what could be read")
        return data if isinstance(data, bytes) else b""

    def _attach(self, part: Message, info: _PartInfo, payload: bytes) -> None:
        inline = info.disposition == "inline"
        self.body.files.append(FilePart(info.filename, info.ctype, inline, payload))


def _message_bytes(part: Message, children: list[Message]) -> bytes:
    """The bytes of an attached message, regenerated without refolding its headers.

    A message/rfc822 part must not be base64 or quoted-printable (RFC 2046 s.5.2.1), but some
    clients encode it anyway; the email package then reads the encoded text as a message
    without header fields, and the text is decoded here.
    """
    try:
        data = b"".join(c.as_bytes(policy=email.policy.compat32) for c in children)
    except Exception:  # the generator can fail on malformed headers; fall back to the body
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    try:
        if encoding == "base64":
            return base64.b64decode(b"".join(data.split()), validate=False)
        if encoding == "quoted-printable":
            return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        pass  # not encoded after all: keep what was there
    return data
