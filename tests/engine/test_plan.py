"""plan(): what the shipped JCA-QKDN workflows decide, with fixed records and clocks (pure)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reflector.config import Settings
from reflector.engine.effects import (
    FileFact,
    SaveDocument,
    SaveLiaison,
    SaveRegistration,
    SendMail,
)
from reflector.engine.facts import DocumentFact, Inbound, Records, RegistrationFact
from reflector.engine.plan import Plan, plan
from reflector.engine.workflow import WorkflowSet, load_workflows_or_raise
from reflector.render import Renderer
from reflector.values import Kind

from factories import REPO, make_settings

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # meeting 6 (20 Jan 2027) is the only one open
MARIA = "maria.rossi@qtech.example"
DOCX = FileFact("qkd-input.docx", "application/octet-stream", 2048, "a" * 64)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="module")
def workflows() -> WorkflowSet:
    return load_workflows_or_raise(REPO / "workflows", Renderer().names())


def inbound(kind: Kind, fields: dict[str, Any], **overrides: Any) -> Inbound:
    values: dict[str, Any] = dict(
        pk=1,
        message_id="m1@qtech.example",
        kind=kind,
        confidence=0.9,
        reasons=("a reason",),
        fields=fields,
        subject="Input for meeting 6",
        from_email=MARIA,
        from_name="Maria Rossi",
        reply_email=MARIA,
        reply_name="Maria Rossi",
        date=NOW,
        received_at=NOW,
        in_reply_to=None,
        references=(),
        text="",
        files=(),
        no_reply=False,
        list_id=None,
    )
    values.update(overrides)
    return Inbound(**values)


def registration(action: str = "register", mode: str | None = "remote", **people: Any) -> dict:
    person = {"name": "Maria Rossi", "email": MARIA, "organisation": "QTech", "mode": mode}
    return {"action": action, "meeting": "6", "people": [dict(person, **people)]}


def contribution(title: str = "QKD key relay", revision: int = 0) -> dict[str, Any]:
    return {
        "meeting": "6",
        "title": title,
        "source": "QTech",
        "revision": revision,
        "files": [],
        "links": [],
    }


def mails(result: Plan) -> list[SendMail]:
    return [e for e in result.effects if isinstance(e, SendMail)]


def saved(result: Plan, kind: type) -> list[Any]:
    return [e for e in result.effects if isinstance(e, kind)]


# ---------------------------------------------------------------------------- registration


def test_a_new_registration_is_filed_and_acknowledged(workflows, settings) -> None:
    result = plan(workflows, inbound(Kind.REGISTRATION, registration()), Records(), settings, NOW)

    assert result.workflow == "registration"
    assert saved(result, SaveRegistration) == [
        SaveRegistration("6", MARIA, "remote", "registered", late=False)
    ]
    (ack,) = mails(result)
    assert (ack.key, ack.template, ack.in_reply) == (
        "ack:m1@qtech.example",
        "registration_ack",
        True,
    )
    assert [p.email for p in ack.to] == [MARIA]
    assert ack.context["filed"]["registration"]["people"][0]["outcome"] == "registered"


def test_registering_twice_is_answered_already_registered(workflows, settings) -> None:
    before = Records(registrations={MARIA: RegistrationFact(MARIA, "remote", "registered")})
    result = plan(workflows, inbound(Kind.REGISTRATION, registration()), before, settings, NOW)

    assert saved(result, SaveRegistration) == []
    (ack,) = mails(result)
    assert ack.context["filed"]["registration"]["people"][0]["outcome"] == "already registered"


def test_a_new_mode_changes_the_registration(workflows, settings) -> None:
    before = Records(registrations={MARIA: RegistrationFact(MARIA, "in-person", "registered")})
    result = plan(workflows, inbound(Kind.REGISTRATION, registration()), before, settings, NOW)

    assert saved(result, SaveRegistration)[0].mode == "remote"
    person = mails(result)[0].context["filed"]["registration"]["people"][0]
    assert (person["outcome"], person["previous_mode"]) == ("mode changed", "in-person")


@pytest.mark.parametrize(
    ("before", "outcome", "saves"),
    [
        (RegistrationFact(MARIA, "remote", "registered"), "cancelled", 1),
        (None, "not registered", 0),
    ],
)
def test_cancellation(workflows, settings, before, outcome, saves) -> None:
    records = Records(registrations={MARIA: before} if before else {})
    result = plan(
        workflows, inbound(Kind.REGISTRATION, registration("cancel")), records, settings, NOW
    )

    assert len(saved(result, SaveRegistration)) == saves
    assert all(s.status == "cancelled" for s in saved(result, SaveRegistration))
    assert mails(result)[0].context["filed"]["registration"]["people"][0]["outcome"] == outcome


def test_a_late_registration_is_flagged_to_the_secretariat(workflows, settings) -> None:
    deadline = settings.meetings[0].registration_deadline
    assert deadline is not None
    late = inbound(Kind.REGISTRATION, registration(), received_at=deadline + timedelta(minutes=5))
    result = plan(workflows, late, Records(), settings, deadline + timedelta(hours=1))

    assert saved(result, SaveRegistration)[0].late is True
    notify = [m for m in mails(result) if m.purpose == "notify"]
    assert [(m.template, [p.email for p in m.to]) for m in notify] == [
        ("late_registration", ["sabine.meier@sdo-coord.example"])
    ]
    assert notify[0].attach_original and notify[0].reply_to is not None


def test_lateness_is_judged_by_arrival_not_by_processing_time(workflows, settings) -> None:
    deadline = settings.meetings[0].registration_deadline
    assert deadline is not None
    on_time = inbound(
        Kind.REGISTRATION, registration(), received_at=deadline - timedelta(minutes=1)
    )
    result = plan(workflows, on_time, Records(), settings, deadline + timedelta(hours=3))

    assert saved(result, SaveRegistration)[0].late is False
    assert [m.template for m in mails(result)] == ["registration_ack"]


def _with_meeting_seven(settings: Settings, **changes: Any) -> Settings:
    """`settings` with a second open meeting, 7 (16-17 June 2027, no registration deadline)."""
    seven = dataclasses.replace(
        settings.meetings[0],
        id="7",
        title="7th meeting of JCA-QKDN",
        start=datetime(2027, 6, 16, 7, 30, tzinfo=UTC),
        end=datetime(2027, 6, 17, 15, 30, tzinfo=UTC),
        registration_deadline=None,
        **changes,
    )
    return dataclasses.replace(settings, meetings=(*settings.meetings, seven))


def test_with_two_open_meetings_and_no_mention_the_sender_is_asked(workflows, settings) -> None:
    two = _with_meeting_seven(settings, input_deadline=None)
    fields = dict(registration(), meeting=None)
    result = plan(workflows, inbound(Kind.REGISTRATION, fields), Records(), two, NOW)

    assert result.workflow == "registration: which meeting?"
    assert saved(result, SaveRegistration) == []
    (ask,) = mails(result)
    assert (ask.template, ask.key) == ("ask_meeting", "ask:m1@qtech.example")
    assert [m["id"] for m in ask.context["meetings_open"]] == ["6", "7"]


def test_a_substitution_cancels_the_replaced_person(workflows, settings) -> None:
    anna = "anna.berg@qtech.example"
    fields = dict(
        registration("change", "remote", name="Anna Berg", email=anna),
        replaces=[{"name": "Maria Rossi", "email": MARIA}],
    )
    before = Records(registrations={MARIA: RegistrationFact(MARIA, "remote", "registered")})
    result = plan(workflows, inbound(Kind.REGISTRATION, fields), before, settings, NOW)

    assert saved(result, SaveRegistration) == [
        SaveRegistration("6", anna, "remote", "registered", late=False),
        SaveRegistration("6", MARIA, "remote", "cancelled", late=False),
    ]
    people = mails(result)[0].context["filed"]["registration"]["people"]
    assert [(p["email"], p["outcome"]) for p in people] == [
        (anna, "registered"),
        (MARIA, "replaced"),
    ]


def test_a_registration_for_two_meetings_files_both(workflows, settings) -> None:
    both = _with_meeting_seven(settings)
    fields = dict(registration(), other_meetings=[{"meeting": "7", "mode": "in-person"}])
    result = plan(workflows, inbound(Kind.REGISTRATION, fields), Records(), both, NOW)

    assert [(s.meeting, s.mode) for s in saved(result, SaveRegistration)] == [
        ("6", "remote"),
        ("7", "in-person"),
    ]
    (also,) = mails(result)[0].context["filed"]["registration"]["also"]
    assert (also["id"], also["mode"]) == ("7", "in-person")


# ---------------------------------------------------------------------------- contribution


def test_inputs_are_numbered_in_sequence_per_meeting(workflows, settings) -> None:
    earlier = tuple(
        DocumentFact(f"JCA-QKDN-6-I-00{n}", n, 0, f"Doc {n}", "X", "x@y.example", (str(n) * 64,))
        for n in range(1, 5)
    )
    message = inbound(Kind.CONTRIBUTION, contribution(), files=(DOCX,))
    result = plan(workflows, message, Records(documents=earlier), settings, NOW)

    (document,) = saved(result, SaveDocument)
    assert (document.number, document.seq, document.revision) == ("JCA-QKDN-6-I-005", 5, 0)
    assert document.files == (DOCX,)
    assert mails(result)[0].context["filed"]["document"]["number"] == "JCA-QKDN-6-I-005"


def test_a_revision_named_by_number_keeps_the_number(workflows, settings) -> None:
    first = DocumentFact("JCA-QKDN-6-I-003", 3, 0, "Key relay", "QTech", "other@x.example", ())
    message = inbound(
        Kind.CONTRIBUTION,
        contribution("Key relay, revised", revision=1),
        subject="Revised JCA-QKDN-6-I-003",
        files=(DOCX,),
    )
    result = plan(workflows, message, Records(documents=(first,)), settings, NOW)

    (document,) = saved(result, SaveDocument)
    assert (document.number, document.revision) == ("JCA-QKDN-6-I-003", 1)
    assert mails(result)[0].context["filed"]["document"]["number"] == "JCA-QKDN-6-I-003R1"


def test_same_title_from_same_sender_is_the_next_revision(workflows, settings) -> None:
    docs = (
        DocumentFact("JCA-QKDN-6-I-001", 1, 0, "Key relay", "QTech", MARIA, ("b" * 64,)),
        DocumentFact("JCA-QKDN-6-I-001", 1, 1, "Key relay rev.1", "QTech", MARIA, ("c" * 64,)),
    )
    message = inbound(Kind.CONTRIBUTION, contribution("Key relay (rev.2)", 2), files=(DOCX,))
    result = plan(workflows, message, Records(documents=docs), settings, NOW)

    assert saved(result, SaveDocument)[0].revision == 2


def test_the_same_files_again_are_not_filed_twice(workflows, settings) -> None:
    docs = (DocumentFact("JCA-QKDN-6-I-001", 1, 0, "Key relay", "QTech", MARIA, (DOCX.sha256,)),)
    message = inbound(Kind.CONTRIBUTION, contribution("Something else"), files=(DOCX,))
    result = plan(workflows, message, Records(documents=docs), settings, NOW)

    assert saved(result, SaveDocument) == []
    assert mails(result)[0].context["filed"]["document"]["duplicate_of"] == "JCA-QKDN-6-I-001"


def test_a_late_input_is_flagged_and_the_chair_told(workflows, settings) -> None:
    deadline = settings.meetings[0].input_deadline
    assert deadline is not None
    message = inbound(
        Kind.CONTRIBUTION, contribution(), files=(DOCX,), received_at=deadline + timedelta(hours=2)
    )
    result = plan(workflows, message, Records(), settings, deadline + timedelta(hours=2))

    assert saved(result, SaveDocument)[0].late is True
    assert [(m.template, m.to[0].email) for m in mails(result)] == [
        ("contribution_ack", MARIA),
        ("late_contribution", "amara.okafor@uni-lagos.example"),
    ]


def test_an_input_without_a_file_or_link_asks_for_it(workflows, settings) -> None:
    result = plan(workflows, inbound(Kind.CONTRIBUTION, contribution()), Records(), settings, NOW)

    assert result.workflow == "contribution: no document"
    assert saved(result, SaveDocument) == []
    assert [m.template for m in mails(result)] == ["ask_document"]


# ---------------------------------------------------------------------------- liaison


def liaison(purpose: str | None, deadline: str | None = "2027-01-10") -> dict[str, Any]:
    return {
        "source_body": "ETSI",
        "group": "ISG-QKD",
        "title": "LS on QKD protocols",
        "for": purpose,
        "deadline": deadline,
        "contact": None,
        "files": [],
    }


def test_a_liaison_for_action_warns_chair_and_vice_chair_at_once(workflows, settings) -> None:
    message = inbound(Kind.LIAISON, liaison("action"), files=(DOCX,))
    result = plan(workflows, message, Records(last_liaison_seq=11), settings, NOW)

    (filed,) = saved(result, SaveLiaison)
    assert (filed.number, filed.for_, filed.deadline.isoformat()) == (
        "JCA-QKDN-LS-012",
        "action",
        "2027-01-10",
    )
    assert [(m.key, m.to[0].email) for m in mails(result)[1:]] == [
        ("notify:m1@qtech.example:chair", "amara.okafor@uni-lagos.example"),
        ("notify:m1@qtech.example:vice_chair", "lin.wei@caict.example"),
    ]


def test_a_liaison_for_information_is_only_acknowledged(workflows, settings) -> None:
    result = plan(
        workflows, inbound(Kind.LIAISON, liaison("information", None)), Records(), settings, NOW
    )

    assert [m.template for m in mails(result)] == ["liaison_ack"]


# ---------------------------------------------------------------------------- other, safety


def test_a_question_goes_to_the_secretariat_without_an_automatic_answer(
    workflows, settings
) -> None:
    result = plan(workflows, inbound(Kind.OTHER, {}), Records(), settings, NOW)

    (forward,) = mails(result)
    assert forward.template == "forward_to_secretariat" and forward.attach_original
    assert [s.ran for s in result.steps] == [True, False]  # the receipt is off by default


def test_replies_are_rate_limited_per_recipient(workflows, settings) -> None:
    busy = Records(replies_last_hour=settings.outbox.replies_per_hour)
    result = plan(workflows, inbound(Kind.REGISTRATION, registration()), busy, settings, NOW)

    assert mails(result) == []
    assert saved(result, SaveRegistration)  # still filed
    assert any("automatic replies" in note for note in result.notes)


def test_no_reply_to_senders_that_must_not_get_automatic_answers(workflows, settings) -> None:
    message = inbound(Kind.REGISTRATION, registration(), no_reply=True)
    result = plan(workflows, message, Records(), settings, NOW)

    assert mails(result) == [] and any("must not get automatic" in n for n in result.notes)


def test_the_trace_says_which_conditions_held(workflows, settings) -> None:
    trace = plan(
        workflows, inbound(Kind.REGISTRATION, registration()), Records(), settings, NOW
    ).trace()

    assert [t["workflow"] for t in trace["tried"]] == [
        "registration: which meeting?",
        "registration",
    ]
    assert trace["tried"][0]["conditions"] == [{"if": "meeting is none", "held": False}]
    assert trace["steps"][2] == {
        "step": 3,
        "action": "notify",
        "if": 'after_deadline and filed.registration.action != "cancel"',
        "ran": False,
    }
