"""SmtpSender against a real SMTP sink on loopback: what each recipient is told, per transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reflector.dev import SmtpSink, free_port
from reflector.mail.send import Reply, SmtpSender

from factories import make_message, make_settings

FROM = "qkdn-secretariat@sdo-coord.example"
DATA = make_message(subject="Your registration", sender=FROM, to="maria.rossi@qtech.example")


def make_sender(tmp_path: Path, port: int, **smtp: object) -> SmtpSender:
    settings = make_settings(tmp_path, smtp_port=port).smtp
    return SmtpSender(dataclasses.replace(settings, **smtp), rcpt_per_transaction=100)


@pytest.fixture
async def sender(tmp_path: Path, smtp_sink: SmtpSink) -> AsyncIterator[SmtpSender]:
    sender = make_sender(tmp_path, smtp_sink.port)
    yield sender
    await sender.close()


async def test_every_recipient_gets_the_reply_to_data(
    sender: SmtpSender, smtp_sink: SmtpSink
) -> None:
    replies = await sender.send(FROM, ["a@example.org", "b@example.org"], DATA)

    assert {r: (reply.code, reply.ok) for r, reply in replies.items()} == {
        "a@example.org": (250, True),
        "b@example.org": (250, True),
    }
    [message] = smtp_sink.messages
    assert message.rcpt_tos == ("a@example.org", "b@example.org")
    assert message.parsed()["Subject"] == "Your registration"


async def test_a_refused_recipient_does_not_stop_the_others(tmp_path: Path) -> None:
    async with SmtpSink(fail_rcpt={"gone@example.org": "550 5.1.1 no such user"}) as sink:
        sender = make_sender(tmp_path, sink.port)
        replies = await sender.send(FROM, ["a@example.org", "gone@example.org"], DATA)
        await sender.close()

    assert replies["a@example.org"].ok
    assert replies["gone@example.org"] == Reply(550, "5.1.1 no such user")
    assert replies["gone@example.org"].permanent
    assert sink.deliveries == {"a@example.org": 1}


async def test_a_refused_data_applies_to_every_accepted_recipient(tmp_path: Path) -> None:
    async with SmtpSink(
        fail_rcpt={"gone@example.org": "550 5.1.1 no such user"},
        data_reply=lambda envelope: "451 4.3.0 queue full, try later",
    ) as sink:
        sender = make_sender(tmp_path, sink.port)
        replies = await sender.send(
            FROM, ["a@example.org", "b@example.org", "gone@example.org"], DATA
        )
        await sender.close()

    assert replies["a@example.org"] == Reply(451, "4.3.0 queue full, try later")
    assert replies["b@example.org"].temporary
    assert replies["gone@example.org"].permanent  # its own RCPT reply, not DATA's
    assert sink.messages == []


async def test_recipients_go_in_transactions_of_at_most_rcpt_per_transaction(
    sender: SmtpSender, smtp_sink: SmtpSink
) -> None:
    recipients = [f"member{i}@example.org" for i in range(250)]

    replies = await sender.send(FROM, recipients, DATA)

    assert all(reply.ok for reply in replies.values()) and len(replies) == 250
    assert [len(m.rcpt_tos) for m in smtp_sink.messages] == [100, 100, 50]
    assert smtp_sink.deliveries == dict.fromkeys(recipients, 1)
    assert smtp_sink.connections == 1


async def test_one_connection_serves_many_sends(sender: SmtpSender, smtp_sink: SmtpSink) -> None:
    for i in range(5):
        await sender.send(FROM, [f"r{i}@example.org"], DATA)

    assert len(smtp_sink.messages) == 5
    assert smtp_sink.connections == 1


async def test_a_connection_the_server_dropped_is_replaced(
    sender: SmtpSender, smtp_sink: SmtpSink
) -> None:
    await sender.send(FROM, ["a@example.org"], DATA)
    await smtp_sink.stop()  # hangs up on us, like a server's idle timeout
    await smtp_sink.start()  # same port

    replies = await sender.send(FROM, ["b@example.org"], DATA)

    assert replies["b@example.org"].ok
    assert smtp_sink.deliveries == {"a@example.org": 1, "b@example.org": 1}


async def test_an_unreachable_server_is_a_temporary_failure_for_everyone(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    sender = make_sender(tmp_path, port)

    replies = await sender.send(FROM, ["a@example.org", "b@example.org"], DATA)

    assert replies.keys() == {"a@example.org", "b@example.org"}
    for reply in replies.values():
        assert reply.code is None and reply.temporary
        assert f"connecting to 127.0.0.1:{port}" in reply.text
    await sender.close()


async def test_a_stalled_data_times_out_and_the_next_send_reconnects(tmp_path: Path) -> None:
    async with SmtpSink(stall_seconds=5) as sink:
        sender = make_sender(tmp_path, sink.port, timeout_seconds=1)
        stalled = await sender.send(FROM, ["a@example.org"], DATA)
        sink.stall_seconds = 0
        later = await sender.send(FROM, ["a@example.org"], DATA)
        await sender.close()

    assert stalled["a@example.org"] == Reply(
        None, f"sending to 127.0.0.1:{sink.port}: no answer within 1 s"
    )
    assert later["a@example.org"].ok
    assert sink.deliveries == {"a@example.org": 1}  # the stalled copy was never accepted


async def test_starttls_required_but_not_offered_sends_nothing(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    sender = make_sender(tmp_path, smtp_sink.port, tls="starttls")

    replies = await sender.send(FROM, ["a@example.org"], DATA)

    assert replies["a@example.org"].temporary  # never falls back to plain text
    assert smtp_sink.messages == []
    await sender.close()


async def test_null_sender_and_international_recipient(
    sender: SmtpSender, smtp_sink: SmtpSink
) -> None:
    replies = await sender.send("", ["jörg.müller@telekom.example"], DATA)

    assert replies["jörg.müller@telekom.example"].ok  # the sink offers SMTPUTF8
    assert smtp_sink.messages[0].mail_from == "<>"  # MAIL FROM:<>, as aiosmtpd records it


async def test_duplicate_recipients_are_sent_once(sender: SmtpSender, smtp_sink: SmtpSink) -> None:
    replies = await sender.send(FROM, ["a@example.org", "a@example.org"], DATA)

    assert list(replies) == ["a@example.org"]
    assert smtp_sink.deliveries == {"a@example.org": 1}


async def test_a_server_wanting_a_login_is_a_temporary_failure(tmp_path: Path) -> None:
    async with SmtpSink(mail_reply=lambda sender: "530 5.7.0 Authentication required") as sink:
        sender = make_sender(tmp_path, sink.port)
        replies = await sender.send(FROM, ["a@example.org", "b@example.org"], DATA)
        await sender.close()

    for reply in replies.values():  # fix the password and the queue goes: nothing failed for good
        assert reply.code is None and reply.temporary
        assert reply.text.endswith("server said 530 5.7.0 Authentication required")
    assert sink.messages == []


async def test_a_sender_refusal_about_the_mail_is_final_for_every_recipient(
    tmp_path: Path,
) -> None:
    too_big = "552 5.3.4 Message size exceeds fixed maximum message size"
    async with SmtpSink(mail_reply=lambda sender: too_big) as sink:
        sender = make_sender(tmp_path, sink.port)
        replies = await sender.send(FROM, ["a@example.org", "b@example.org"], DATA)
        await sender.close()

    assert set(replies.values()) == {Reply(552, too_big[4:])}
    assert sink.rcpt_attempts == {}
