"""compose(): the headers every outgoing mail carries, and hostile input refused."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from reflector.mail.compose import Envelope, Party, compose
from reflector.render import RenderedMail

from factories import make_message

US = Party("JCA-QKDN secretariat", "qkdn-secretariat@sdo-coord.example")
MARIA = Party("Maria Rössi", "maria.rossi@qtech.example")
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def reply_envelope(**overrides: object) -> Envelope:
    values: dict[str, object] = dict(
        sender=US,
        to=(MARIA,),
        date=WHEN,
        message_id="reflector.abc.ack@sdo-coord.example",
        in_reply_to="orig@qtech.example",
        references=("first@qtech.example",),
        auto_submitted="auto-replied",
        loop_marker=US.email,
    )
    values.update(overrides)
    return Envelope(**values)  # type: ignore[arg-type]


def parsed(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=default)  # type: ignore[return-value]


def test_a_reply_is_threaded_and_marked_automatic() -> None:
    mail = parsed(compose(reply_envelope(), RenderedMail("Re: Registration", "Hello\n", None)))

    assert mail["In-Reply-To"] == "<orig@qtech.example>"
    assert mail["References"] == "<first@qtech.example> <orig@qtech.example>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["X-Loop"] == US.email
    assert mail["Message-ID"] == "<reflector.abc.ack@sdo-coord.example>"
    assert str(mail["To"]) == "Maria Rössi <maria.rossi@qtech.example>"
    assert mail.get_content_type() == "text/plain"


def test_text_and_html_parts_and_the_same_bytes_every_time() -> None:
    rendered = RenderedMail("Subject", "Plain ü\n", "<p>Rich ü</p>\n")
    first = compose(reply_envelope(), rendered)

    mail = parsed(first)
    assert mail.get_content_type() == "multipart/alternative"
    parts = [p.get_content().replace("\r\n", "\n") for p in mail.iter_parts()]
    assert parts == ["Plain ü\n", "<p>Rich ü</p>\n"]
    assert compose(reply_envelope(), rendered) == first


@pytest.mark.parametrize("subject", ["Re: x\r\nBcc: victim@example.org", "Re: x\nBcc: v@x.org"])
def test_a_subject_with_a_line_break_is_refused(subject: str) -> None:
    with pytest.raises(ValueError, match=r"linefeed|carriage return|newline"):
        compose(reply_envelope(), RenderedMail(subject, "text\n", None))


def test_the_original_is_attached_unchanged() -> None:
    original = make_message(
        "Question", "Where is the venue?", attachment=("a.pdf", b"%PDF-1.4", "application/pdf")
    )
    mail = parsed(
        compose(
            reply_envelope(in_reply_to=None, references=(), forwarded=original),
            RenderedMail("Fwd", "See attached.\n", None),
        )
    )

    (_text, attached) = mail.iter_parts()
    assert attached.get_content_type() == "message/rfc822"
    inner = attached.get_content()
    assert inner["Subject"] == "Question"
    assert inner.as_bytes(policy=default.clone(linesep="\r\n")) == original


def test_an_original_too_broken_to_rewrite_is_attached_as_eml() -> None:
    broken = b"From: x\r\nSubject: \xff\xfe\r\nContent-Type: multipart/mixed\r\n\r\nno boundary"
    data = compose(reply_envelope(forwarded=broken), RenderedMail("Fwd", "See attached.\n", None))
    mail = parsed(data)
    attached = next(iter(mail.iter_attachments()))
    assert attached.get_content_type() in ("message/rfc822", "application/octet-stream")
    if attached.get_content_type() == "application/octet-stream":
        assert attached.get_content() == broken
