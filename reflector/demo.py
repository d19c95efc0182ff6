"""`reflector demo`: a scripted scenario on embedded servers, with a readable transcript.

Everything is real and local: pymap's IMAP server in this process, an aiosmtpd SMTP sink, a
temporary config.toml (loaded by the normal loader) and a SQLite database in a temp dir. The
service runs as `reflector run` would, over real sockets. Mail arrives three ways: already in
the mailbox at start, appended while the service idles (IMAP IDLE), and delivered by LMTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select
from sqlmodel import col

from reflector.app import Service
from reflector.clock import FixedClock
from reflector.config import Settings, load_settings
from reflector.dev import SmtpSink, free_port, start_pymap
from reflector.mail.imapconn import ImapConnection
from reflector.store.db import Database
from reflector.store.models import Message, Outbox
from reflector.values import MessageStatus

DEADLINE_SECONDS = 45.0
PASSWORD_ENV = "REFLECTOR_DEMO_IMAP_PASSWORD"
SECRETARIAT = "qkdn-secretariat@sdo-coord.example"
REFLECTOR = "qkdn-jca@lists.sdo-coord.example"

CONFIG = """\
# Written by `reflector demo` for this run only.
[group]
name = "JCA-QKDN"
title = "ITU-T Joint Coordination Activity on Quantum Key Distribution Networks"
timezone = "Europe/Zurich"

[addresses]
secretariat = "{secretariat}"
reflector = "{reflector}"
reflector_request = "qkdn-jca-request@lists.sdo-coord.example"

[roles]
secretariat = [{{ name = "Hannah Lindqvist", email = "hannah.lindqvist@sdo-coord.example" }}]
chair = [{{ name = "Dr. Amara Okafor", email = "amara.okafor@lagos-quantum.example" }}]
vice_chair = [{{ name = "Lin Wei", email = "linwei@cq-telecom.example" }}]

[[meetings]]
id = "6"
title = "JCA-QKDN meeting 6"
place = "Online"
timezone = "Europe/Zurich"
start = {start}T14:00:00
end = {start}T17:00:00
in_person = false
remote = true
registration_deadline = {registration_deadline}
input_deadline = {input_deadline}

[imap]
host = "127.0.0.1"
port = {imap_port}
tls = "none"
username = "bot"
password_env = "{password_env}"
idle_seconds = 60
poll_seconds = 2
timeout_seconds = 10

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"

[lmtp]
enabled = true
host = "127.0.0.1"
port = {lmtp_port}

[intake]
max_message_bytes = 1048576

[database]
url = "sqlite:///reflector.db"
"""


def config_text(
    *,
    imap_port: int,
    smtp_port: int,
    lmtp_port: int,
    password_env: str = PASSWORD_ENV,
    meeting_day: date = date(2027, 1, 20),
) -> str:
    """The demo's config.toml, pointing at servers on 127.0.0.1 (tests use it too).

    Meeting 6 is on `meeting_day` (14:00-17:00 Zurich time); registration closes a week
    before, inputs twelve days before (at 23:59).
    """
    return CONFIG.format(
        secretariat=SECRETARIAT,
        reflector=REFLECTOR,
        imap_port=imap_port,
        smtp_port=smtp_port,
        lmtp_port=lmtp_port,
        password_env=password_env,
        start=meeting_day.isoformat(),
        registration_deadline=(meeting_day - timedelta(days=7)).isoformat(),
        input_deadline=(meeting_day - timedelta(days=12)).isoformat(),
    )


def _mail(
    sender: str, subject: str, body: str, *, to: str = SECRETARIAT, **headers: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def _bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def scenario() -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(already in the mailbox, appended while idling, delivered over LMTP)."""
    waiting = [
        _mail(
            "Maria Rossi <maria.rossi@qtech.example>",
            "Registration for JCA-QKDN meeting 6",
            "Dear secretariat,\n\nplease register me for the 6th JCA-QKDN meeting "
            "(remote participation).\n\nBest regards,\nMaria Rossi\nQTech Labs",
        ),
        _mail(
            "Kenji Sato <k.sato@nict-q.example>",
            "参加登録 / registration: meeting 6, two participants",
            "Please pre-register two of us for meeting 6, both online:\n"
            "- Kenji Sato <k.sato@nict-q.example>\n- Aiko Mori <a.mori@nict-q.example>\n\nKenji",
        ),
    ]
    contribution = _mail(
        "Pierre Dubois <pierre.dubois@orange-q.example>",
        "Contribution for meeting 6: QKD network key management interfaces",
        "Dear secretariat,\n\nplease find attached our input contribution for meeting 6.\n\n"
        "Pierre Dubois, Orange Quantum",
    )
    contribution.add_attachment(
        b"PK\x03\x04 (a .docx document)",
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="JCA-QKDN-contrib-key-management.docx",
    )
    waiting.append(contribution)

    while_idle = [
        _mail(
            "ETSI ISG-QKD <isg-qkd-liaison@etsi-q.example>",
            "LS from ETSI ISG-QKD on QKD protocol security evaluation",
            "LIAISON STATEMENT\n\nFrom: ETSI ISG-QKD\nFor: action\nDeadline: 2027-01-08\n"
            "Title: QKD protocol security evaluation\nContact: chair-isgqkd@etsi-q.example\n\n"
            "ETSI ISG-QKD kindly asks JCA-QKDN to comment on the attached draft.",
        ),
        _mail(
            "Maria Rossi <maria.rossi@qtech.example>",
            "Automatic reply: Registration for JCA-QKDN meeting 6",
            "I am out of the office until Monday and will answer on my return.",
            Auto_Submitted="auto-replied",
        ),
    ]
    malformed = (
        b"\x00\x01\x02 this is not an e-mail at all \xff\xfe binary junk without headers\r\n"
    )
    lmtp = [
        _mail(
            "Lin Wei <linwei@cq-telecom.example>",
            "Draft agenda for meeting 6 - comments welcome",
            "Colleagues,\n\nthe draft agenda for meeting 6 is below; comments on the list "
            "please.\n\nLin Wei",
            to=REFLECTOR,
        )
    ]
    return (
        [_bytes(m) for m in waiting],
        [_bytes(m) for m in while_idle] + [malformed],
        [_bytes(m) for m in lmtp],
    )


async def _append(host: str, port: int, raws: list[bytes]) -> None:
    conn = await ImapConnection.open(
        host, port, username="bot", password="secret", command_timeout=10
    )
    try:
        for raw in raws:
            await conn._ok("APPEND", conn._client.append(raw, mailbox="INBOX"))
    finally:
        await conn.close()


async def _deliver_lmtp(port: int, raws: list[bytes]) -> None:
    import smtplib

    def send() -> None:
        with smtplib.LMTP("127.0.0.1", port) as client:
            for raw in raws:
                client.sendmail("linwei@cq-telecom.example", [REFLECTOR], raw)

    await asyncio.to_thread(send)


async def _wait_until(db: Database, total: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        async with db.read() as session:
            done = await session.scalar(
                select(func.count())
                .select_from(Message)
                .where(col(Message.status) != MessageStatus.RECEIVED.value)
            )
        if done is not None and done >= total:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the scenario did not finish within {DEADLINE_SECONDS:.0f} s")


async def transcript(db: Database, sink: SmtpSink, write: Callable[[str], None]) -> None:
    async with db.read() as session:
        rows = (await session.scalars(select(Message).order_by(Message.id))).all()  # type: ignore[arg-type]
    write(f"\nReceived and understood ({len(rows)} messages)")
    for m in rows:
        sender = f"{m.from_name} <{m.from_addr}>" if m.from_name else (m.from_addr or "?")
        write(f"  #{m.id} via {m.source:<6} from {sender}")
        write(f"      subject: {m.subject or '(none)'}")
        label = f"{m.kind} ({m.confidence:.2f})" if m.kind else "-"
        write(f"      → {m.status.upper()}: {label}")
        write(f"        {m.reason}")
        for reason in m.reasons[1:4]:  # the first is already in the status line
            write(f"        · {reason}")
        if m.fields:
            shown = {k: v for k, v in m.fields.items() if v not in (None, [], "")}
            write(f"        fields: {shown}")
    write(
        f"\nSent through the outbox (SMTP sink 127.0.0.1:{sink.port}): {len(sink.messages)} mails"
    )
    for sent in sink.messages:
        parsed = sent.parsed()
        write(f"  to {', '.join(sent.rcpt_tos)}  ({parsed['Date']})")
        write(f"      subject: {parsed['Subject']}")
        body = parsed.get_body(("plain",))
        text = str(body.get_content()) if body is not None else ""
        for line in _gist(text):
            write(f"      | {line}")


def _gist(text: str, lines: int = 4) -> list[str]:
    """The first lines of a mail after the greeting: what it says, for the transcript."""
    found = [line.rstrip() for line in text.splitlines() if line.strip()]
    if found and found[0].startswith("Dear"):
        found = found[1:]
    return found[:lines]


async def _wait_sent(db: Database, deadline: float) -> None:
    """Until the outbox holds nothing queued or being sent."""
    while time.monotonic() < deadline:
        async with db.read() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(col(Outbox.status).in_(("queued", "sending")))
            )
        if not waiting:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the outbox did not empty within {DEADLINE_SECONDS:.0f} s")


async def run_demo(*, serve: bool, out: TextIO) -> int:
    """Run the scenario; with `serve`, keep the servers up until Ctrl-C. Returns the exit code."""
    started = time.monotonic()

    def write(line: str) -> None:
        print(line, file=out, flush=True)

    with tempfile.TemporaryDirectory(prefix="reflector-demo-") as tmp:
        async with contextlib.AsyncExitStack() as stack:
            imap_host, imap_port = await start_pymap(stack, user="bot", password="secret")
            sink = await stack.enter_async_context(SmtpSink())
            lmtp_port = free_port()
            config = Path(tmp) / "config.toml"
            # Meeting 6 is 40 days from today: its announcement (60 days before) is due now.
            meeting_day = datetime.now(UTC).date() + timedelta(days=40)
            config.write_text(
                config_text(
                    imap_port=imap_port,
                    smtp_port=sink.port,
                    lmtp_port=lmtp_port,
                    meeting_day=meeting_day,
                ),
                encoding="utf-8",
            )
            settings = load_settings(config, {PASSWORD_ENV: "secret"})
            write("reflector demo — JCA-QKDN secretariat on embedded servers")
            write(f"  IMAP   127.0.0.1:{imap_port} (pymap, user bot, password secret)")
            write(f"  LMTP   127.0.0.1:{lmtp_port}   SMTP sink 127.0.0.1:{sink.port}")
            write(f"  config {config}\n  db     {Path(tmp) / 'reflector.db'}")

            waiting, while_idle, by_lmtp = scenario()
            await _append(imap_host, imap_port, waiting)
            write(f"\n{len(waiting)} messages wait in the mailbox; starting the service")

            db = Database(settings.database.url)
            await db.migrate()
            stack.push_async_callback(db.close)
            service = Service(settings, db)
            stop, ready = asyncio.Event(), asyncio.Event()
            runner = asyncio.create_task(service.run(stop, ready))
            await ready.wait()
            await _wait_until(db, len(waiting), started + DEADLINE_SECONDS)
            write(f"{len(while_idle)} more arrive while it idles, {len(by_lmtp)} by LMTP")
            await _append(imap_host, imap_port, while_idle)
            await _deliver_lmtp(lmtp_port, by_lmtp)
            total = len(waiting) + len(while_idle) + len(by_lmtp)
            try:
                await _wait_until(db, total, started + DEADLINE_SECONDS)
                await _wait_sent(db, started + DEADLINE_SECONDS)
                if serve:
                    write("\nServing: point a mail client at the IMAP server; Ctrl-C ends.")
                    await _until_interrupted()
            finally:
                stop.set()
                await runner
            await _accelerated(settings, db, write)
            await transcript(db, sink, write)
            write(f"\nDone in {time.monotonic() - started:.1f} s.")
    return 0


async def _accelerated(settings: Settings, db: Database, write: Callable[[str], None]) -> None:
    """Move the clock on to a week before the input deadline and let the schedule catch up."""
    meeting = settings.meetings[0]
    assert meeting.input_deadline is not None
    later = meeting.input_deadline - timedelta(days=7) + timedelta(hours=1)
    local = later.astimezone(meeting.zone).strftime("%A %d %B %Y, %H:%M %Z")
    write(f"\nAccelerated clock: moved on to {local}, a week before the input deadline")
    await Service(settings, db, clock=FixedClock(later)).run_once()


async def _until_interrupted() -> None:
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
