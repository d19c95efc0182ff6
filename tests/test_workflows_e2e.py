"""Each shipped workflow end to end: mail in over IMAP (pymap) -> records in the database ->
the right mail in an SMTP sink, with the right number, wording and headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from reflector.app import Service
from reflector.clock import FixedClock
from reflector.dev import SmtpSink
from reflector.store.db import Database
from reflector.store.models import Document, DocumentFile, Liaison, Message, Registration

from factories import make_message, make_settings
from support.imapclient import append_messages

MARIA = "Maria Rossi <maria.rossi@qtech.example>"
CHAIR, VICE = "amara.okafor@uni-lagos.example", "lin.wei@caict.example"
SECRETARIAT_STAFF = "sabine.meier@sdo-coord.example"


class Site:
    """The service on pymap and a sink, with a clock the test moves."""

    def __init__(self, service: Service, sink: SmtpSink, imap: tuple[str, int, str, str]):
        self.service, self.sink, self.imap = service, sink, imap
        self.clock: FixedClock = service.clock  # type: ignore[assignment]
        self.seen = 0

    async def mail(self, *raws: bytes) -> list[EmailMessage]:
        """Deliver `raws` to the mailbox, run once, return the mail that went out since."""
        await append_messages(*self.imap, raws)
        report = await self.service.run_once()
        assert report.sent.error is None
        new = self.sink.messages[self.seen :]
        self.seen = len(self.sink.messages)
        return [m.parsed() for m in new if not _scheduled(m.parsed())]

    async def rows(self, model: type) -> list:
        async with self.service.db.read() as session:
            return list((await session.scalars(select(model))).all())


@pytest.fixture
async def site(
    tmp_path: Path, pymap_server: tuple[str, int, str, str], smtp_sink: SmtpSink
) -> AsyncIterator[Site]:
    host, port, user, password = pymap_server
    settings = make_settings(
        tmp_path,
        imap={"enabled": True, "host": host, "port": port, "username": user, "password": password},
        smtp_port=smtp_sink.port,
    )
    db = Database(settings.database.url)
    await db.migrate()
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    yield Site(Service(settings, db, clock=clock), smtp_sink, pymap_server)
    await db.close()


def _scheduled(mail: EmailMessage) -> bool:
    """Announcements, digests ... (tested in test_meeting_cycle.py), not answers to mail."""
    purpose = mail["Message-ID"].strip("<>").split("@")[0].rsplit(".", 1)[-1]
    return purpose in ("announce", "reminder", "warning", "eve", "overdue", "digest", "report")


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def addresses(mail: EmailMessage) -> list[str]:
    return [a.addr_spec for a in mail["To"].addresses]


async def test_registration_ack_then_already_then_change_then_cancel(site: Site) -> None:
    first = make_message(sender=MARIA, message_id="<reg1@qtech.example>")
    (ack,) = await site.mail(first)

    assert addresses(ack) == ["maria.rossi@qtech.example"]
    assert ack["Subject"] == "Re: Registration for meeting 6"
    assert ack["In-Reply-To"] == "<reg1@qtech.example>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["From"].addresses[0].addr_spec == "qkdn-secretariat@sdo-coord.example"
    text = text_of(ack)
    assert "Registered to attend remotely." in text
    assert "Wednesday 20 January 2027, 14:00 CET (Europe/Zurich)" in text
    assert "reply to this message" in text
    assert ack.get_body(("html",)) is not None

    (again,) = await site.mail(make_message(sender=MARIA))
    assert "Already registered (remote): nothing has changed." in text_of(again)

    change = make_message(
        "Registration for meeting 6", "Please change my registration: I will attend in person."
    )
    (changed,) = await site.mail(change)
    assert "Changed from remote to in-person." in text_of(changed)

    cancel = make_message("Cancel my registration for meeting 6", "Please cancel it, sorry.")
    (cancelled,) = await site.mail(cancel)
    assert "Registration cancelled." in text_of(cancelled)

    (registration,) = await site.rows(Registration)
    assert (registration.meeting, registration.mode, registration.status) == (
        "6",
        "in-person",
        "cancelled",
    )


async def test_contribution_gets_a_number_and_a_revision_keeps_it(site: Site) -> None:
    docx = b"PK\x03\x04 first version"
    (ack,) = await site.mail(
        make_message(
            "Input document for meeting 6: QKD key relay",
            "Please find attached our contribution.",
            attachment=("qkd-relay.docx", docx, "application/octet-stream"),
        )
    )
    assert ack["Subject"] == "Re: Input document for meeting 6: QKD key relay"
    assert "filed as\n\n    JCA-QKDN-6-I-001\n" in text_of(ack)

    (revised,) = await site.mail(
        make_message(
            "Revised JCA-QKDN-6-I-001: QKD key relay",
            "Attached is the revised input document.",
            attachment=("qkd-relay-rev1.docx", b"PK\x03\x04 second", "application/octet-stream"),
        )
    )
    assert "JCA-QKDN-6-I-001R1  (revision 1 of JCA-QKDN-6-I-001)" in text_of(revised)

    documents = await site.rows(Document)
    assert [(d.number, d.revision) for d in documents] == [
        ("JCA-QKDN-6-I-001", 0),
        ("JCA-QKDN-6-I-001", 1),
    ]
    files = await site.rows(DocumentFile)
    assert files[0].data == docx and files[0].filename == "qkd-relay.docx"


async def test_a_late_input_is_flagged_and_the_chair_gets_a_note(site: Site) -> None:
    site.clock.at = datetime(2027, 1, 9, 8, 0, tzinfo=UTC)  # after the 8 January deadline
    sent = await site.mail(
        make_message(
            "Input document for meeting 6",
            "Our contribution is attached.",
            attachment=("late.pdf", b"%PDF-1.4 late", "application/pdf"),
        )
    )

    by_to = {addresses(m)[0]: m for m in sent}
    assert set(by_to) == {"maria.rossi@qtech.example", CHAIR}
    assert "after the input deadline" in text_of(by_to["maria.rossi@qtech.example"])
    note = by_to[CHAIR]
    assert note["Subject"] == "[JCA-QKDN] Late input JCA-QKDN-6-I-001 for 6th meeting of JCA-QKDN"
    assert note["Auto-Submitted"] == "auto-generated"
    assert note["Reply-To"].addresses[0].addr_spec == "maria.rossi@qtech.example"
    (document,) = await site.rows(Document)
    assert document.late


async def test_a_liaison_for_action_reaches_chair_and_vice_chair_at_once(site: Site) -> None:
    ls = make_message(
        "Liaison statement from ETSI ISG-QKD on key delivery interfaces",
        "For: action\nDeadline: 2027-01-10\n\nPlease review the attached LS.",
        sender="ETSI ISG-QKD <isg-qkd@etsi.example>",
        attachment=("LS-QKD-042.pdf", b"%PDF-1.4 LS", "application/pdf"),
    )
    sent = await site.mail(ls)

    by_to = {addresses(m)[0]: m for m in sent}
    assert set(by_to) == {"isg-qkd@etsi.example", CHAIR, VICE}
    assert "JCA-QKDN-LS-001" in text_of(by_to["isg-qkd@etsi.example"])
    warning = by_to[CHAIR]
    assert warning["Subject"].startswith("[JCA-QKDN] Action requested: JCA-QKDN-LS-001")
    assert "10 January 2027" in warning["Subject"]
    (attached,) = [
        p for p in warning.iter_attachments() if p.get_content_type() == "message/rfc822"
    ]
    assert attached.get_content()["Subject"].startswith("Liaison statement from ETSI")
    (liaison,) = await site.rows(Liaison)
    assert (liaison.number, liaison.for_, str(liaison.deadline)) == (
        "JCA-QKDN-LS-001",
        "action",
        "2027-01-10",
    )


async def test_a_question_goes_to_the_secretariat_and_the_sender_gets_nothing(site: Site) -> None:
    (forward,) = await site.mail(make_message("Question about the venue", "Is there a hotel?"))

    assert addresses(forward) == [SECRETARIAT_STAFF]
    assert forward["Subject"] == "[JCA-QKDN] Other from Maria Rossi: Question about the venue"
    assert forward["Reply-To"].addresses[0].addr_spec == "maria.rossi@qtech.example"


async def test_auto_replies_and_list_traffic_get_no_answer(site: Site) -> None:
    away = make_message(
        "Automatic reply: Registration for meeting 6",
        "I am out of the office.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    listed = make_message(
        "Registration for meeting 6",
        "Please register me (remote).",
        headers={"List-Id": "<other.lists.example.org>", "Precedence": "list"},
    )
    assert await site.mail(away, listed) == []
    messages = await site.rows(Message)
    assert [m.status for m in messages] == ["ignored", "processed"]
    assert "no reply" in " ".join(messages[1].actions["notes"])


async def test_explain_shows_what_ran(site: Site, tmp_path: Path) -> None:
    await site.mail(make_message(sender=MARIA, message_id="<reg9@qtech.example>"))
    (message,) = await site.rows(Message)

    assert message.actions["workflow"] == "registration"
    assert message.actions["tried"][0]["conditions"] == [{"if": "meeting is none", "held": False}]
