"""A rendered template -> the bytes of a mail ready for the outbox (pure).

    data = compose(Envelope(...), rendered)

Headers we always write and why:

* `Auto-Submitted: auto-replied` on answers to a message, `auto-generated` on everything else
  (RFC 3834 s.5): well-behaved responders then never answer us, which stops mail loops;
* `X-Auto-Response-Suppress: All`: the same request in Microsoft Exchange's words;
* `X-Loop: <our address>`: our screening recognises our own mail coming back;
* `In-Reply-To` and `References` (RFC 5322 s.3.6.4), so that the answer sits in the thread;
* a Message-ID derived from the outbox key: the same mail always has the same id, so a resend
  after a crash is recognisably the same message.

Python's email package refuses header values with CR or LF; a subject rendered from hostile
input therefore fails here with ValueError instead of injecting headers (the caller quarantines).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP
from email.utils import format_datetime

from reflector.render import RenderedMail


@dataclass(frozen=True)
class Party:
    """A display name and an address."""

    name: str
    email: str

    def header(self) -> HeaderAddress:
        local, _, domain = self.email.rpartition("@")
        return HeaderAddress(display_name=self.name, username=local, domain=domain)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=PUBLISH" keeps its parameters
    data: bytes


@dataclass(frozen=True)
class Envelope:
    """Who and how: everything about a mail except its wording."""

    sender: Party
    to: tuple[Party, ...]
    date: datetime
    message_id: str  # without angle brackets
    cc: tuple[Party, ...] = ()
    reply_to: Party | None = None
    in_reply_to: str | None = None  # without angle brackets
    references: tuple[str, ...] = ()
    auto_submitted: str = "auto-generated"  # or "auto-replied" (RFC 3834 s.5)
    loop_marker: str | None = None
    attachments: tuple[Attachment, ...] = ()
    forwarded: bytes | None = None  # an original message, attached as message/rfc822
    extra_headers: tuple[tuple[str, str], ...] = field(default=())


def message_id_for(key: str, domain: str) -> str:
    """A stable Message-ID for an outbox key.

    >>> message_id_for("ack:abc@example.org", "sdo-coord.example")
    'reflector.50f830780dd2c3c0699181aa.ack@sdo-coord.example'
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    purpose = key.split(":", 1)[0] or "mail"
    return f"reflector.{digest}.{purpose}@{domain}"


def compose(envelope: Envelope, mail: RenderedMail) -> bytes:
    """The RFC 5322 bytes (CRLF line ends) of `mail` sent as `envelope` says."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = envelope.sender.header()
    msg["To"] = [p.header() for p in envelope.to]
    if envelope.cc:
        msg["Cc"] = [p.header() for p in envelope.cc]
    if envelope.reply_to is not None:
        msg["Reply-To"] = envelope.reply_to.header()
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(envelope.date)
    msg["Message-ID"] = f"<{envelope.message_id}>"
    if envelope.in_reply_to:
        msg["In-Reply-To"] = f"<{envelope.in_reply_to}>"
        chain = [*envelope.references, envelope.in_reply_to]
        msg["References"] = " ".join(f"<{r}>" for r in _unique(chain)[-20:])
    msg["Auto-Submitted"] = envelope.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    if envelope.loop_marker:
        msg["X-Loop"] = envelope.loop_marker
    for name, value in envelope.extra_headers:
        msg[name] = value
    msg.set_content(mail.text, cte="quoted-printable")
    if mail.html:
        msg.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    for item in envelope.attachments:
        maintype, _, rest = item.content_type.partition("/")
        subtype, *params = (p.strip() for p in rest.split(";"))
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        msg.add_attachment(
            item.data, maintype=maintype, subtype=subtype, filename=item.filename, params=extra
        )
    if envelope.forwarded is not None:
        _attach_original(msg, envelope.forwarded)
    # Boundaries derived from the Message-ID: composing the same mail twice gives the same bytes.
    tag = hashlib.sha256(envelope.message_id.encode()).hexdigest()[:16]
    for number, part in enumerate(_own_multiparts(msg)):
        part.set_boundary(f"=_reflector_{tag}_{number}")
    return msg.as_bytes()


def _own_multiparts(part: EmailMessage) -> list[EmailMessage]:
    """Our multipart containers, not looking inside an attached original (left untouched)."""
    if part.get_content_maintype() != "multipart":
        return []
    found = [part]
    for child in part.iter_parts():
        found += _own_multiparts(child)  # type: ignore[arg-type]
    return found


def _attach_original(msg: EmailMessage, raw: bytes) -> None:
    """Attach a received message as message/rfc822 (RFC 2046 s.5.2.1: never base64-encoded).

    A message too broken to be written out again is attached as an .eml file instead, bytes
    untouched, so that the secretariat always gets to see exactly what arrived.
    """
    try:
        original = BytesParser(policy=SMTP).parsebytes(raw)
        original.as_bytes()  # fails here, not later, if it cannot be written out again
    except Exception:
        msg.add_attachment(
            raw, maintype="application", subtype="octet-stream", filename="original.eml"
        )
        return
    msg.add_attachment(original)


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))
