"""Bytes -> ParsedMessage (pure: no I/O, never raises on malformed MIME).

Usage:

    parse(raw: bytes, *, max_bytes: int | None = None) -> ParsedMessage
        raises ParseError(reason) only when the bytes are not a message at all
        (empty, no header fields, over max_bytes); anything merely malformed is repaired as
        far as possible and noted in `defects`.

Header fields are read from the raw values (`raw_items`), not through the policy's header
classes, which raise on group addresses and recurse per ':' in huge address fields. How body
text and attachments are chosen is described in `reflector.mail.body`; `content_types` lists
every part in walk order, including the parts of an attached message.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import (
    MissingHeaderBodySeparatorDefect,
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
)
from email.headerregistry import BaseHeader
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import parsedate_to_datetime

from reflector.errors import ParseError
from reflector.mail.body import Body, FilePart, read_body
from reflector.mail.decode import (
    Notes,
    clean_text,
    header_text,
    safe_filename,
    surrogates_to_text,
    unfold,
)
from reflector.mail.fields import mailboxes, msg_ids
from reflector.values import Address


@dataclass(frozen=True)
class Attachment:
    """One attached (or inline non-text) part."""

    filename: str  # sanitised: no path separators, no control characters, never empty
    original_filename: str | None  # decoded but unsanitised, for display in reasons
    content_type: str  # lower-case "type/subtype"
    size: int  # decoded size in bytes
    sha256: str  # hex digest of the decoded payload
    inline: bool  # Content-Disposition: inline (e.g. an image in an HTML mail)
    payload: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None  # without angle brackets
    subject: str  # decoded (RFC 2047), unfolded, "" when missing
    from_: Address | None
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None  # timezone-aware UTC, None when missing or unparseable
    in_reply_to: str | None  # without angle brackets
    references: tuple[str, ...]  # without angle brackets, oldest first
    headers: tuple[tuple[str, str], ...]  # (lower-case name, decoded value) in message order
    text: str  # best text: text/plain preferred, else HTML converted to text
    html: str | None  # the HTML body if there is one
    attachments: tuple[Attachment, ...]
    content_types: tuple[str, ...]  # every part's content type, in walk order
    defects: tuple[str, ...]  # plain-words notes on what was malformed and how it was read
    size: int  # size of the raw message in bytes

    def header(self, name: str) -> str | None:
        """The first header field called `name` (case-insensitive), decoded, or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        """Every header field called `name`, in message order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]


def parse(raw: bytes, *, max_bytes: int | None = None) -> ParsedMessage:
    """Read one raw RFC 5322 message; repairs what is malformed and notes it in `defects`.

    >>> m = parse(b"From: Lin Wei <lin.wei@lab.example>\\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?="
    ...           b"\\n\\nHello\\r\\n")
    >>> m.from_.email, m.subject, m.text
    ('lin.wei@lab.example', 'Grüße', 'Hello')
    >>> parse(b"   ")
    Traceback (most recent call last):
    reflector.errors.ParseError: the message is empty
    """
    if max_bytes is not None and len(raw) > max_bytes:
        raise ParseError(f"message is {_size(len(raw))}, over the {_size(max_bytes)} limit")
    if not raw.strip():
        raise ParseError("the message is empty")
    if raw.startswith(_OLE_MAGIC):
        raise ParseError(
            "this is an Outlook .msg file, not an e-mail message; "
            "ask the sender to forward the mail itself or save it as .eml"
        )
    notes = Notes()
    msg, complete = _message(raw, notes)
    fields = [(str(name), value) for name, value in msg.raw_items()]
    if not fields:
        raise ParseError(
            "it does not start with header fields (From:, To:, Subject: ...), "
            "so it is not an e-mail message"
        )
    headers = _Headers(fields, notes)
    body = read_body(msg, notes) if complete else Body(content_types=[msg.get_content_type()])
    return ParsedMessage(
        message_id=_first_id(headers.first("message-id")),
        subject=headers.first("subject") or "",
        from_=next(iter(headers.addresses("from")), None),
        sender=next(iter(headers.addresses("sender")), None),
        reply_to=headers.addresses("reply-to"),
        to=headers.addresses("to"),
        cc=headers.addresses("cc"),
        date=headers.date(),
        in_reply_to=_first_id(headers.first("in-reply-to")),
        references=tuple(dict.fromkeys(msg_ids(" ".join(headers.all("references"))))),
        headers=headers.decoded,
        text=body.text,
        html=body.html,
        attachments=tuple(_attachment(f, n) for n, f in enumerate(body.files, start=1)),
        content_types=tuple(body.content_types),
        defects=notes.frozen(),
        size=len(raw),
    )


class _ReadingPolicy(EmailPolicy):
    """`email.policy.default`, except that a header field, once parsed, is kept for the
    message's lifetime.

    The email package parses a field again every time it is asked for: the feed parser asks
    for each part's Content-Type seven times or so, which was half of parsing's time on the
    labelled corpus. The parsed objects are immutable. One policy (and cache) per message.
    """

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)
        object.__setattr__(self, "_parsed", {})  # policies refuse attribute assignment

    def header_fetch_parse(self, name: str, value: str) -> str:
        if isinstance(value, BaseHeader):
            return value
        key = (name.lower(), value)
        parsed: str | None = self._parsed.get(key)
        if parsed is None:
            parsed = self._parsed[key] = super().header_fetch_parse(name, value)
        return parsed


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: Outlook's .msg
_BOM = b"\xef\xbb\xbf"
# RFC 5322 s.4.5.3 (obsolete syntax): white space between a field name and its colon.
_OBSOLETE_NAME = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]+:", re.MULTILINE)
_END_OF_HEADER = re.compile(rb"\r?\n\r?\n")
_NO_BOUNDARY = (NoBoundaryInMultipartDefect, StartBoundaryNotFoundDefect)


def _message(raw: bytes, notes: Notes) -> tuple[Message, bool]:
    """Parse with the email package, after repairs it cannot make itself; False when only the
    header fields could be read."""
    if raw.startswith(_BOM):
        notes.add("a byte-order mark before the first header field; ignored")
        raw = raw[len(_BOM) :]
    if raw[:1] in (b"\r", b"\n"):
        notes.add("blank lines before the first header field; ignored")
        raw = raw.lstrip(b"\r\n")
    try:
        msg = email.message_from_bytes(raw, policy=_ReadingPolicy())
    except RecursionError:  # the email package recurses once per level of MIME nesting
        notes.add("the MIME structure is nested too deeply to read; only the headers were read")
        return BytesParser(policy=_ReadingPolicy()).parsebytes(raw, headersonly=True), False
    if any(isinstance(d, _NO_BOUNDARY) for d in msg.defects):
        # The policy's parser refuses boundaries with unquoted "=" (boundary=----=_Part_1),
        # which Outlook and JavaMail write; the legacy one reads them.
        legacy = email.message_from_bytes(raw, policy=email.policy.compat32)
        if legacy.is_multipart():
            notes.add("the MIME boundary is not quoted as it must be; read anyway")
            return legacy, True
    if not any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in msg.defects):
        return msg, True
    # The header block ended at a line that is not a header; if that is only the obsolete
    # "Name :" form, read the block again without the spaces.
    end = _END_OF_HEADER.search(raw)
    head = raw[: end.start()] if end else raw
    repaired = _OBSOLETE_NAME.sub(rb"\1:", head)
    if repaired == head:
        return msg, True
    again = email.message_from_bytes(repaired + raw[len(head) :], policy=_ReadingPolicy())
    if len(again) <= len(msg):
        return msg, True
    notes.add("spaces before the colon of a header name (obsolete syntax); read anyway")
    return again, True


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1000:.1f} kB" if n >= 1000 else f"{n} bytes"


def _first_id(value: str | None) -> str | None:
    ids = msg_ids(value or "")
    return ids[0] if ids else None


class _Headers:
    """The top-level header fields, decoded once; address fields parsed on demand."""

    def __init__(self, fields: list[tuple[str, str]], notes: Notes) -> None:
        self._notes = notes
        self._raw: dict[str, list[str]] = {}
        decoded = []
        for name, value in fields:
            key = clean_text(name).lower()
            text, problems = header_text(value, f"the {key} header")
            for problem in problems:
                notes.add(problem)
            decoded.append((key, text))
            self._raw.setdefault(key, []).append(value)
        self.decoded = tuple(decoded)
        self._by_name: dict[str, list[str]] = {}
        for key, text in decoded:
            self._by_name.setdefault(key, []).append(text)

    def first(self, name: str) -> str | None:
        values = self._by_name.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return self._by_name.get(name, [])

    def addresses(self, name: str) -> tuple[Address, ...]:
        """Mailboxes of every `name` field; groups flattened, unusable entries skipped."""
        found: list[Address] = []
        for value in self._raw.get(name, []):
            found += mailboxes(unfold(surrogates_to_text(value)[0]))
        return tuple(found)

    def date(self) -> datetime | None:
        value = self.first("date")
        if value is None:
            return None
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, OverflowError, IndexError):
            when = None
        if when is None:
            self._notes.add(f"unreadable Date header {value[:60]!r}; date left empty")
            return None
        # RFC 5322 s.3.3: "-0000" means the zone is unknown; the time is UTC then.
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _attachment(part: FilePart, number: int) -> Attachment:
    return Attachment(
        filename=safe_filename(part.filename, part.content_type, number),
        original_filename=part.filename,
        content_type=part.content_type,
        size=len(part.payload),
        sha256=hashlib.sha256(part.payload).hexdigest(),
        inline=part.inline,
        payload=part.payload,
    )
