"""Small builders for tests: settings without a config file, and messages as bytes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from reflector.config import (
    AddressSettings,
    DatabaseSettings,
    GroupSettings,
    ImapSettings,
    IntakeSettings,
    LmtpSettings,
    Meeting,
    NumberingSettings,
    OutboxSettings,
    Person,
    RoleSettings,
    ScheduleSettings,
    Settings,
    SmtpSettings,
)

REPO = Path(__file__).resolve().parent.parent
SECRETARIAT = "qkdn-secretariat@sdo-coord.example"
REFLECTOR = "qkdn-jca@lists.sdo-coord.example"
REQUEST = "qkdn-jca-request@lists.sdo-coord.example"


def make_settings(
    tmp_path: Path,
    *,
    db_url: str | None = None,
    imap: dict[str, Any] | None = None,
    lmtp: dict[str, Any] | None = None,
    intake: dict[str, Any] | None = None,
    outbox: dict[str, Any] | None = None,
    smtp_port: int = 25,
    schedule: dict[str, Any] | None = None,
    workflows_dir: Path | None = None,
) -> Settings:
    """Settings for the corpus' fictional JCA-QKDN, with IMAP/LMTP pointed where a test says."""
    imap_settings = ImapSettings(
        enabled=False,
        host="127.0.0.1",
        port=143,
        tls="none",
        username="bot",
        password="secret",
        mailbox="INBOX",
        on_done="seen",
        done_folder="Processed",
        idle_seconds=1500,
        poll_seconds=1,
        timeout_seconds=20,
    )
    lmtp_settings = LmtpSettings(
        enabled=False,
        host="127.0.0.1",
        port=0,
        recipients=(SECRETARIAT, REFLECTOR, REQUEST),
    )
    intake_settings = IntakeSettings(
        max_message_bytes=25 * 1024 * 1024,
        authserv_ids=("mx1.sdo-coord.example",),
        hold_below=0.5,
    )
    outbox_settings = OutboxSettings(
        rcpt_per_transaction=100,
        retry_first_seconds=60,
        retry_max_seconds=3600,
        give_up_hours=120,
        replies_per_hour=10,
        message_id_domain="sdo-coord.example",
    )
    return Settings(
        file=tmp_path / "config.toml",
        group=GroupSettings(
            "JCA-QKDN",
            "Joint Coordination Activity on Quantum Key Distribution Networks",
            "Europe/Zurich",
        ),
        addresses=AddressSettings(SECRETARIAT, REFLECTOR, REQUEST),
        roles=RoleSettings(
            secretariat=(Person("Sabine Meier", "sabine.meier@sdo-coord.example"),),
            chair=(Person("Dr. Amara Okafor", "amara.okafor@uni-lagos.example"),),
            vice_chair=(Person("Lin Wei", "lin.wei@caict.example"),),
        ),
        meetings=(
            Meeting(
                id="6",
                title="6th meeting of JCA-QKDN",
                place="Online",
                timezone="Europe/Zurich",
                start=datetime(2027, 1, 20, 13, 0, tzinfo=UTC),
                end=datetime(2027, 1, 20, 16, 0, tzinfo=UTC),
                in_person=False,
                remote=True,
                registration_deadline=datetime(2027, 1, 13, 22, 59, tzinfo=UTC),
                input_deadline=datetime(2027, 1, 8, 22, 59, tzinfo=UTC),
            ),
        ),
        imap=dataclasses.replace(imap_settings, **(imap or {})),
        smtp=SmtpSettings("127.0.0.1", smtp_port, "none", None, None, timeout_seconds=10),
        lmtp=dataclasses.replace(lmtp_settings, **(lmtp or {})),
        intake=dataclasses.replace(intake_settings, **(intake or {})),
        database=DatabaseSettings(db_url or f"sqlite+aiosqlite:///{tmp_path / 'reflector.db'}"),
        # The shipped workflows and templates, unless a test brings its own.
        workflows_dir=workflows_dir or REPO / "workflows",
        templates_dir=tmp_path / "templates",
        outbox=dataclasses.replace(outbox_settings, **(outbox or {})),
        numbering=NumberingSettings("{group}-{meeting}-I-{seq:03d}", "{group}-LS-{seq:03d}"),
        schedule=dataclasses.replace(SCHEDULE, **(schedule or {})),
    )


SCHEDULE = ScheduleSettings(
    announce_days_before=60,
    announce_to=("liaison-contacts@etsi-q.example",),
    reminder_days=(14, 7, 3, 1),
    reminder_audience="reflector",
    warning_days=(7, 1),
    eve_time="09:00",
    digest_time="08:00",
    digest_skip_empty=False,
    report_to_chair=True,
)


def make_message(
    subject: str = "Registration for meeting 6",
    body: str = "Please register me for the 6th meeting (remote participation).\n\nMaria",
    *,
    sender: str = "Maria Rossi <maria.rossi@qtech.example>",
    to: str = SECRETARIAT,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachment: tuple[str, bytes, str] | None = None,
) -> bytes:
    """A well-formed message as bytes (CRLF), the way a mail client would send it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="qtech.example")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if attachment is not None:
        name, data, content_type = attachment
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
