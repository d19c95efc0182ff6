"""Structured header fields, read leniently and in linear time (pure helpers for `parse`).

The email package's own readers are not used for these on purpose: its address-list parser
recurses once per ':' and concatenates lists (a 135 KB To: field of encoded-words containing
times like "10:08:28" exhausts the stack), and its policy header classes re-parse a
parameterised field on every access.
"""

from __future__ import annotations

import re
from email.utils import getaddresses
from urllib.parse import unquote_to_bytes

from email_validator import EmailNotValidError, validate_email

from reflector.mail.decode import clean_text, decode_bytes, decode_words
from reflector.values import Address


def mailable(address: str | None) -> str | None:
    """The address, case-folded, if mail can be sent to it; else None (checked offline).

    Senders' addresses come from hostile headers: an answer must never go to whatever a
    malformed From: happened to parse into.

    >>> mailable("Maria.Rossi@QTech.example"), mailable("_victim@example.org?="), mailable(None)
    ('maria.rossi@qtech.example', None, None)
    """
    if not address:
        return None
    try:
        return validate_email(address, check_deliverability=False).normalized.casefold()
    except EmailNotValidError:
        return None


# RFC 5322 s.3.6.4: msg-id = "<" id-left "@" id-right ">"; real mail also has ids without "@".
_MSG_ID = re.compile(r"<([^<>\s]+)>")


def msg_ids(value: str) -> list[str]:
    """The message ids in a Message-ID, In-Reply-To or References value, without brackets.

    Ids written without angle brackets are taken as white-space separated words with an "@".

    >>> msg_ids("<a@x.example> (comment) <b@y.example>")
    ['a@x.example', 'b@y.example']
    """
    found = _MSG_ID.findall(value)
    if found or "<" in value:
        return found
    return [word for word in value.replace(",", " ").split() if "@" in word]


# One lexical unit of an address list (RFC 5322 s.3.4): a quoted string, a comment, an angle
# address, a separator, or a run of anything else. Unclosed quotes/comments run to the end.
_ADDRESS_TOKEN = re.compile(
    r'"(?:\\.|[^"\\])*"?|\((?:\\.|[^()\\])*\)?|<[^<>]*>?|[,;:]|[^",;:(<]+|.'
)
# Longer than any real mailbox (RFC 5321 s.4.5.3.1.3 caps a path at 256 octets) plus a name.
_MAX_MAILBOX = 1000


def split_mailboxes(value: str) -> list[str]:
    """Split an address-list value into single mailboxes; group names dropped (RFC 5322 s.3.4).

    >>> split_mailboxes('Team: a@x.example, "Doe, J" <j@y.example>;, undisclosed-recipients:;')
    ['a@x.example', '"Doe, J" <j@y.example>']
    """
    items: list[str] = []
    current: list[str] = []
    for token in _ADDRESS_TOKEN.findall(value):
        if token in (",", ";"):
            items.append("".join(current).strip())
            current = []
        elif token == ":":
            current = []  # what came before is a group's display name
        else:
            current.append(token)
    items.append("".join(current).strip())
    return [item for item in items if item and len(item) <= _MAX_MAILBOX]


def mailboxes(value: str) -> list[Address]:
    """The usable mailboxes in an (unfolded, not yet RFC 2047-decoded) address-list value.

    Display names are decoded after splitting, since an encoded name may hold a comma
    (RFC 2047 s.5). Entries without an address, or with spaces or brackets in it, are skipped.

    >>> mailboxes('=?utf-8?q?Doe=2C_J?= <j@y.example>, nobody, <>')
    [Address(name='Doe, J', email='j@y.example')]
    """
    found = []
    for item in split_mailboxes(value):
        for name, addr in getaddresses([item]):
            addr = clean_text(addr)
            if not addr or "@" not in addr or any(ch in addr for ch in ' <>,;:"()'):
                continue
            found.append(Address(clean_text(decode_words(name)[0]), addr))
    return found


# A parameter list: segments between ";" where a quoted string counts as one unit.
_SEGMENT = re.compile(r'(?:"(?:\\.|[^"\\])*"?|[^;"])+')
_TOKEN = re.compile(r"[^\s;]+")


def mime_field(value: str) -> tuple[str, dict[str, str]]:
    """Content-Type / Content-Disposition value -> (lower-case main value, parameters).

    Parameter names are lower-case; RFC 2231 continuations and charsets are joined and
    decoded (s.3, s.4), RFC 2047 words inside quoted values are decoded as mail clients do.

    >>> mime_field("attachment; filename*0*=utf-8''R%C3%A9seau; filename*1=\\".pdf\\"")
    ('attachment', {'filename': 'Réseau.pdf'})
    """
    segments = [m.group(0).strip() for m in _SEGMENT.finditer(value)]
    main_match = _TOKEN.match(segments[0]) if segments else None
    main = main_match.group(0).lower() if main_match else ""
    params: dict[str, str] = {}
    pieces: dict[str, list[tuple[int, bool, str]]] = {}
    for segment in segments[1:]:
        name, equals, raw = segment.partition("=")
        name = name.strip().lower()
        if not equals or not name:
            continue
        text = _unquote(raw.strip())
        if "*" in name:
            base, _, rest = name.partition("*")
            number = rest.rstrip("*")
            encoded = rest == "" or rest.endswith("*")
            pieces.setdefault(base, []).append(
                (int(number) if number.isdigit() else 0, encoded, text)
            )
        elif name not in params:
            params[name] = decode_words(text)[0]
    for base, parts in pieces.items():
        params[base] = _join_rfc2231(sorted(parts, key=lambda p: p[0]))
    return main, params


def _unquote(value: str) -> str:
    if value.startswith('"'):
        value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
        return re.sub(r"\\(.)", r"\1", value)
    return value


def _join_rfc2231(parts: list[tuple[int, bool, str]]) -> str:
    """RFC 2231 s.4: charset'language'%XX... in the first encoded segment, then more %XX."""
    charset = ""
    data = bytearray()
    for position, (_, encoded, text) in enumerate(parts):
        if not encoded:
            data += text.encode("utf-8", "replace")
            continue
        if position == 0 and text.count("'") >= 2:
            charset, _, text = text.split("'", 2)
        data += unquote_to_bytes(text)
    return decode_bytes(bytes(data), charset or "utf-8", "a file name")[0]
