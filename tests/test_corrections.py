"""The secretariat corrects: release a held message, reject one, reclassify one — from the command
line and by e-mail — and nothing correctly sent is sent twice."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from reflector.cli import app
from reflector.commands import Command, parse_command
from reflector.config import Settings
from reflector.corrections import CorrectionError, correct
from reflector.engine.apply import Engine
from reflector.pipeline import process_pending
from reflector.store.db import Database
from reflector.store.inbox import Incoming, ingest
from reflector.store.models import Correction, Document, Message, Outbox, Registration
from reflector.understand import policy_from_settings
from reflector.values import Source

from factories import make_message, make_settings

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STAFF = "sabine.meier@sdo-coord.example"
PASSED = (
    "mx1.sdo-coord.example; dkim=pass header.d=sdo-coord.example; "
    "dmarc=pass header.from=sdo-coord.example"
)


class Desk:
    def __init__(self, db: Database, settings: Settings):
        self.db, self.settings = db, settings
        self.engine, self.policy = Engine.from_settings(settings), policy_from_settings(settings)
        self.n = 0

    async def receive(self, *raws: bytes) -> None:
        items = []
        for raw in raws:
            self.n += 1
            items.append(Incoming(raw, Source.IMPORT, f"test:{self.n}"))
        await ingest(self.db, items, NOW)
        await process_pending(self.db, self.policy, NOW, engine=self.engine)

    async def do(self, text: str, ref: str | None = None) -> str:
        command = parse_command(text)
        if ref is not None:
            command = Command(command.action, ref, command.kind, command.fields, command.reason)
        result = await correct(self.db, self.engine, self.policy, command, by="test", now=NOW)
        return result.summary()

    async def rows(self, model: type) -> list:
        async with self.db.read() as session:
            return list((await session.scalars(select(model))).all())

    async def keys(self) -> list[str]:
        return [o.idem_key for o in await self.rows(Outbox)]


@pytest.fixture
async def desk(sqlite_db: Database, tmp_path: Path) -> Desk:
    return Desk(sqlite_db, make_settings(tmp_path))


async def test_release_runs_the_workflows_of_a_held_message(
    sqlite_db: Database, tmp_path: Path
) -> None:
    cautious = Desk(sqlite_db, make_settings(tmp_path, intake={"hold_below": 0.999}))
    await cautious.receive(make_message(message_id="<r1@qtech.example>"))
    (message,) = await cautious.rows(Message)
    assert message.status == "held" and await cautious.keys() == []

    summary = await cautious.do("release 1")

    (message,) = await cautious.rows(Message)
    assert (message.status, message.kind, message.reason) == (
        "processed",
        "registration",
        "released by test",
    )
    assert await cautious.keys() == ["ack:r1@qtech.example"]
    assert "held: registration -> processed: registration" in summary
    (correction,) = await cautious.rows(Correction)
    assert (correction.action, correction.by) == ("release", "test")
    with pytest.raises(CorrectionError, match="processed already"):
        await cautious.do("release 1")


async def test_reclassify_to_another_kind_sends_that_kinds_mail(desk: Desk) -> None:
    question = make_message(
        "Question", "I would like to attend, how?", message_id="<q1@qtech.example>"
    )
    await desk.receive(question)
    assert await desk.keys() == ["notify:q1@qtech.example:secretariat"]

    summary = await desk.do("reclassify 1 registration mode=remote meeting=6")

    (registration,) = await desk.rows(Registration)
    assert (registration.meeting, registration.mode) == ("6", "remote")
    assert await desk.keys() == [
        "notify:q1@qtech.example:secretariat",
        "ack:q1@qtech.example#registration",
    ]
    assert "-> processed: registration" in summary
    (message,) = await desk.rows(Message)
    assert message.reasons[0] == "corrected by test: other -> registration"
    (correction,) = await desk.rows(Correction)
    assert (correction.from_kind, correction.to_kind, correction.fields) == (
        "other",
        "registration",
        {"mode": "remote", "meeting": "6"},
    )


async def test_a_corrected_field_sends_a_corrected_answer_and_nothing_else_twice(
    desk: Desk,
) -> None:
    late = make_message(
        "Input document for meeting 6",
        "Our contribution is attached.",
        message_id="<c1@qtech.example>",
        attachment=("a.docx", b"PK\x03\x04 a", "application/octet-stream"),
    )
    await desk.receive(late)
    before = await desk.keys()

    await desk.do("reclassify 1 contribution title=Key_relay_interfaces")
    await desk.do("reclassify 1 contribution title=Key_relay_interfaces")  # said twice

    keys = await desk.keys()
    assert keys == [*before, "ack:c1@qtech.example#c1", "ack:c1@qtech.example#c2"]
    (document,) = await desk.rows(Document)  # corrected in place, not filed again
    assert (document.number, document.title) == ("JCA-QKDN-6-I-001", "Key_relay_interfaces")


async def test_reject_sets_a_message_aside_with_who_and_why(desk: Desk) -> None:
    await desk.receive(make_message("Cheap watches", "Buy now"))
    await desk.do("reject 1 spam, obviously")
    (message,) = await desk.rows(Message)
    assert (message.status, message.reason) == ("ignored", "rejected by test: spam, obviously")


async def test_a_command_mailed_by_the_secretariat_is_carried_out_and_answered(desk: Desk) -> None:
    await desk.receive(
        make_message("Question", "Can I still come?", message_id="<q2@qtech.example>")
    )
    (forward,) = await desk.rows(Outbox)
    answer = make_message(
        "Re: [JCA-QKDN] Other from Maria Rossi: Question",
        "reclassify as registration mode=in-person\n\n> A message needs a person",
        sender=f"Sabine Meier <{STAFF}>",
        message_id="<cmd1@sdo-coord.example>",
        headers={"In-Reply-To": f"<{forward.message_id}>", "Authentication-Results": PASSED},
    )
    await desk.receive(answer)

    registration = await desk.rows(Registration)
    assert [(r.meeting, r.mode) for r in registration] == [("6", "in-person")]
    done = [o for o in await desk.rows(Outbox) if o.idem_key == "done:cmd1@sdo-coord.example"]
    assert done and done[0].envelope_to == [STAFF]
    assert b"Done:" in done[0].data


async def test_commands_from_anyone_else_are_not_obeyed(desk: Desk) -> None:
    await desk.receive(make_message("Question", "Hello?"))
    await desk.receive(
        make_message("release 1", "release 1", sender="Mallory <mallory@evil.example>")
    )
    assert await desk.rows(Registration) == []
    assert not [k for k in await desk.keys() if k.startswith("done:")]


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["release", "99"], 3, "no message #99"),
        (["reclassify", "1", "invoice"], 2, "'invoice': expected a kind"),
        (["reclassify", "1", "registration", "--field", "colour=red"], 2, "field 'colour'"),
    ],
)
def test_command_line_mistakes(tmp_path: Path, args: list[str], code: int, text: str) -> None:
    from reflector.demo import PASSWORD_ENV, config_text
    from reflector.dev import free_port

    config = tmp_path / "config.toml"
    config.write_text(
        config_text(imap_port=free_port(), smtp_port=free_port(), lmtp_port=free_port())
    )
    result = CliRunner(env={PASSWORD_ENV: "x"}).invoke(app, [*args, "--config", str(config)])
    assert result.exit_code == code, result.output
    assert text in result.output


async def test_eval_scores_the_corrected_messages(desk: Desk, tmp_path: Path) -> None:
    from reflector.demo import PASSWORD_ENV, config_text
    from reflector.dev import free_port

    await desk.receive(
        make_message("Question", "I would like to attend, how?"),
        make_message(message_id="<r9@qtech.example>"),
    )
    await desk.do("reclassify 1 registration")  # the classifier said other: a miss
    await desk.do("reject 2")  # not a registration after all: another miss
    config = tmp_path / "config.toml"
    config.write_text(
        config_text(imap_port=free_port(), smtp_port=free_port(), lmtp_port=free_port())
    )

    args = ["eval", "--corrections", "--json", "--config", str(config), "--db", desk.db.url]
    result = await asyncio.to_thread(CliRunner(env={PASSWORD_ENV: "x"}).invoke, app, args)

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["messages"] == 2
    assert sorted(m["file"].split()[0] for m in report["misses"]) == ["#1", "#2"]
