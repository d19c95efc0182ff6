"""Build small messages and classify them the way the pipeline does (helpers for these tests)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from email.message import EmailMessage

from reflector.classify import MeetingFacts, SiteFacts, Verdict, classify, evidence
from reflector.mail.parse import ParsedMessage, parse
from reflector.mail.screen import Screening, ScreenPolicy, screen

SECRETARIAT = "qkdn-secretariat@sdo-coord.example"
REFLECTOR = "qkdn-jca@lists.sdo-coord.example"
REQUEST = "qkdn-jca-request@lists.sdo-coord.example"
SITE = SiteFacts(
    group_name="JCA-QKDN",
    secretariat=SECRETARIAT,
    reflector=REFLECTOR,
    reflector_request=REQUEST,
    meetings=(
        MeetingFacts("5", "JCA-QKDN meeting 5", date(2026, 10, 14), "Seoul and online"),
        MeetingFacts("6", "JCA-QKDN meeting 6", date(2027, 1, 20), "Online"),
        MeetingFacts("7", "JCA-QKDN meeting 7", date(2027, 6, 16), "Geneva, Switzerland"),
    ),
)
POLICY = ScreenPolicy(
    own_addresses=frozenset({SECRETARIAT, REFLECTOR, REQUEST}),
    secretariat_addresses=frozenset({"hannah.lindqvist@sdo-coord.example"}),
    authserv_ids=frozenset({"mx1.sdo-coord.example"}),
    own_list_ids=frozenset({"qkdn-jca.lists.sdo-coord.example"}),
    loop_marker=SECRETARIAT,
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx(text: str) -> bytes:
    """A minimal .docx whose document.xml holds `text`, one paragraph a line."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        body = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.splitlines())
        archive.writestr("word/document.xml", f"<w:document><w:body>{body}</w:body></w:document>")
    return buffer.getvalue()


def message(
    subject: str = "",
    body: str = "",
    *,
    sender: str = "Maria Rossi <maria.rossi@qtech.example>",
    to: str = SECRETARIAT,
    headers: dict[str, str] | None = None,
    files: tuple[tuple[str, bytes, str], ...] = (),
) -> ParsedMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    msg["Message-ID"] = "<t1@qtech.example>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, data, content_type in files:
        main, sub = content_type.split("/", 1)
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return parse(msg.as_bytes())


def screened(m: ParsedMessage) -> Screening:
    return screen(m, POLICY)


def hits(m: ParsedMessage) -> dict[str, str]:
    """Rule name -> reason, for every rule that hits `m`."""
    return {rule.name: reason for rule, reason in evidence(m, screened(m), SITE)}


def verdict(subject: str = "", body: str = "", **kwargs: object) -> Verdict:
    m = message(subject, body, **kwargs)  # type: ignore[arg-type]
    return classify(m, screened(m), SITE)
