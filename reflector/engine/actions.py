"""The action registry: what a workflow step may do, its parameters, and how it plans (pure).

Each action reads the plan's state (facts, records, what earlier steps filed) and appends
effects; none touches the database or the network. To add one, write a function taking
`(params, state)` and register it in ACTIONS with its parameters.

    file_registration   file each person of a registration (new, already, mode change, cancel)
    file_contribution   number and file an input document (revisions keep the number)
    file_liaison        number and file a liaison statement
    reply               answer the sender (threaded, Auto-Submitted: auto-replied)
    ask_sender          ask the sender for what is missing (same as reply, other key)
    notify              mail a role (secretariat, chair, vice_chair) or an address
    post_to_list        send a mail to the group's reflector
    secretariat_command carry out a command mailed by the secretariat; answer with the result
    hold                leave the message for the secretariat to decide
    quarantine          set the message aside with a reason
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reflector.commands import CommandError, parse_command
from reflector.config import Meeting, Settings
from reflector.engine.effects import (
    Effect,
    FileFact,
    RunCommand,
    SaveDocument,
    SaveLiaison,
    SavePerson,
    SaveRegistration,
    SendMail,
    SetStatus,
    display_number,
)
from reflector.engine.facts import DocumentFact, Inbound, Records, meeting_facts
from reflector.engine.numbering import format_number, number_regex
from reflector.mail.compose import Party
from reflector.mail.fields import mailable

ROLES = ("secretariat", "chair", "vice_chair")


@dataclass
class PlanState:
    """What the steps of one workflow share while planning."""

    inbound: Inbound
    records: Records
    settings: Settings
    meeting: Meeting | None
    facts: dict[str, Any]
    now: datetime
    effects: list[Effect] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    filed: dict[str, Any] = field(default_factory=dict)
    replies_planned: int = 0

    def note(self, text: str) -> None:
        self.notes.append(text)


Run = Callable[[Mapping[str, Any], PlanState], None]


@dataclass(frozen=True)
class Param:
    kind: type | tuple[type, ...]
    required: bool
    help: str


@dataclass(frozen=True)
class Action:
    name: str
    run: Run
    params: Mapping[str, Param]
    kinds: tuple[str, ...] = ()  # message kinds it makes sense for; () = any

    @property
    def template(self) -> bool:
        return "template" in self.params


# ---------------------------------------------------------------------------- filing


def _file_registration(params: Mapping[str, Any], st: PlanState) -> None:
    fields = st.facts.get("registration")
    if not fields or st.meeting is None:
        st.note("nothing filed: " + ("no meeting" if fields else "not a registration"))
        return
    action = fields.get("action") or "register"
    people = list(fields.get("people") or [])
    if not people:
        people = [{"name": st.inbound.from_name or None, "email": st.inbound.from_email}]
    late = bool(st.facts["after_deadline"])
    outcomes = []
    for person in people:
        given = person.get("email") or (st.inbound.from_email if len(people) == 1 else None)
        email = mailable(given)
        shown = dict(person, email=email)
        if not email:
            outcomes.append(dict(shown, outcome="no e-mail address"))
            continue
        before = st.records.registrations.get(email)
        registered = before is not None and before.status == "registered"
        mode = person.get("mode") or (before.mode if before else None)
        if action == "cancel":
            outcome = "cancelled" if registered else "not registered"
            status = "cancelled"
        elif registered and before is not None and mode != before.mode:
            outcome, status = "mode changed", "registered"
            shown["previous_mode"] = before.mode
        elif registered:
            outcome, status = "already registered", "registered"
        else:
            outcome = "registered again" if before is not None else "registered"
            status = "registered"
        outcomes.append(dict(shown, email=email, mode=mode, outcome=outcome))
        st.effects.append(SavePerson(email, person.get("name"), person.get("organisation")))
        if outcome not in ("already registered", "not registered"):
            st.effects.append(
                SaveRegistration(st.meeting.id, email, mode, status, late and status != "cancelled")
            )
    outcomes += _replaced(fields, st)
    st.filed["registration"] = {
        "action": action,
        "late": late,
        "people": outcomes,
        "also": _other_meetings(fields, outcomes, st) if action != "cancel" else [],
    }


def _replaced(fields: Mapping[str, Any], st: PlanState) -> list[dict[str, Any]]:
    """A substitution ("register my colleague instead of me"): the replaced are cancelled."""
    assert st.meeting is not None
    outcomes = []
    for gone in fields.get("replaces") or []:
        email = mailable(gone.get("email")) if isinstance(gone, dict) else None
        if not email:
            continue
        before = st.records.registrations.get(email)
        if before is not None and before.status == "registered":
            st.effects.append(
                SaveRegistration(st.meeting.id, email, before.mode, "cancelled", False)
            )
            outcomes.append(dict(gone, email=email, mode=before.mode, outcome="replaced"))
        else:
            outcomes.append(dict(gone, email=email, mode=None, outcome="not registered"))
    return outcomes


def _other_meetings(
    fields: Mapping[str, Any], outcomes: list[dict[str, Any]], st: PlanState
) -> list[dict[str, Any]]:
    """Further meetings the same people asked to be registered for (still to come only)."""
    also = []
    for other in fields.get("other_meetings") or []:
        meeting = (
            st.settings.meeting(str(other.get("meeting"))) if isinstance(other, dict) else None
        )
        if meeting is None or meeting.end <= st.now or meeting is st.meeting:
            continue
        deadline = meeting.registration_deadline
        late = bool(deadline and st.inbound.received_at > deadline)
        for person in outcomes:
            if person["outcome"] in (
                "registered",
                "registered again",
                "mode changed",
                "already registered",
            ):
                mode = other.get("mode") or person.get("mode")
                st.effects.append(
                    SaveRegistration(meeting.id, person["email"], mode, "registered", late)
                )
        also.append(meeting_facts(meeting) | {"mode": other.get("mode"), "late": late})
    return also


_REVISION_MARK = re.compile(r"\b(?:rev(?:ision)?\.?\s*\d+|revised|r\d+)\b|[()\[\]]", re.IGNORECASE)


def _same_title(a: str | None, b: str | None) -> bool:
    def norm(t: str | None) -> str:
        return " ".join(_REVISION_MARK.sub(" ", t or "").casefold().split())

    return bool(norm(a)) and norm(a) == norm(b)


def _earlier_version(st: PlanState, fields: Mapping[str, Any]) -> DocumentFact | None:
    """The document this one revises: named by number, or same title from the same sender."""
    assert st.meeting is not None
    pattern = st.settings.numbering.contribution
    rx = number_regex(pattern, group=st.settings.group.name, meeting=st.meeting.id)
    by_number = {d.number.casefold(): d for d in st.records.documents}
    claims_revision = int(fields.get("revision") or 0) > 0
    places = [st.inbound.subject] + ([st.inbound.text] if claims_revision else [])
    for text in places:
        for found in rx.findall(text):
            if found.casefold() in by_number:
                return by_number[found.casefold()]
    for doc in reversed(st.records.documents):
        same_source = doc.from_addr == st.inbound.from_email or (
            doc.source and doc.source == fields.get("source")
        )
        if same_source and _same_title(doc.title, fields.get("title")):
            return doc
    return None


def _file_contribution(params: Mapping[str, Any], st: PlanState) -> None:
    fields = st.facts.get("contribution")
    if not fields or st.meeting is None:
        st.note("nothing filed: " + ("no meeting" if fields else "not a contribution"))
        return
    files = st.inbound.files
    hashes = {f.sha256 for f in files}
    late = bool(st.facts["after_deadline"])
    title = fields.get("title") or st.inbound.subject or None
    for doc in st.records.documents:
        if doc.message_pk == st.inbound.pk:  # filed by this very message: a correction
            st.effects.append(
                SaveDocument(
                    st.meeting.id,
                    doc.number,
                    doc.seq,
                    doc.revision,
                    title,
                    fields.get("source"),
                    late,
                    (),
                    existing=True,
                )
            )
            _filed_document(st, fields, doc.number, doc.revision, title, late, files)
            return
        if hashes and hashes <= set(doc.sha256s):
            shown = display_number(doc.number, doc.revision)
            _filed_document(st, fields, doc.number, doc.revision, doc.title, late, files)
            st.filed["document"]["duplicate_of"] = shown
            st.note(f"the same files were filed before as {shown}: nothing new filed")
            return
    earlier = _earlier_version(st, fields)
    if earlier is not None:
        number, seq = earlier.number, earlier.seq
        revision = 1 + max(d.revision for d in st.records.documents if d.number == number)
    else:
        seq = 1 + max((d.seq for d in st.records.documents), default=0)
        number = format_number(
            st.settings.numbering.contribution,
            group=st.settings.group.name,
            meeting=st.meeting.id,
            seq=seq,
            year=st.inbound.received_at.year,
        )
        revision = 0
    st.effects.append(
        SaveDocument(st.meeting.id, number, seq, revision, title, fields.get("source"), late, files)
    )
    _filed_document(st, fields, number, revision, title, late, files)


def _filed_document(
    st: PlanState,
    fields: Mapping[str, Any],
    number: str,
    revision: int,
    title: str | None,
    late: bool,
    files: tuple[FileFact, ...],
) -> None:
    """What templates see as `filed.document` (every key, whatever happened)."""
    st.filed["document"] = {
        "number": display_number(number, revision),
        "base_number": number,
        "revision": revision,
        "revises": display_number(number, revision - 1) if revision else None,
        "claimed_revision": int(fields.get("revision") or 0),
        "title": title,
        "source": fields.get("source"),
        "late": late,
        "duplicate_of": None,
        "files": [f.__dict__ for f in files],
    }


def _parse_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _file_liaison(params: Mapping[str, Any], st: PlanState) -> None:
    fields = st.facts.get("liaison")
    if not fields:
        st.note("nothing filed: not a liaison statement")
        return
    seq = st.records.last_liaison_seq + 1
    number = format_number(
        st.settings.numbering.liaison,
        group=st.settings.group.name,
        seq=seq,
        year=st.inbound.received_at.year,
    )
    deadline = _parse_day(fields.get("deadline"))
    title = fields.get("title") or st.inbound.subject or None
    st.effects.append(
        SaveLiaison(
            number,
            seq,
            fields.get("source_body"),
            fields.get("group"),
            title,
            fields.get("for"),
            deadline,
            fields.get("contact"),
            st.inbound.files,
        )
    )
    st.filed["liaison"] = {
        "number": number,
        "source_body": fields.get("source_body"),
        "group": fields.get("group"),
        "title": title,
        "for": fields.get("for"),
        "deadline": deadline,
        "files": [f.__dict__ for f in st.inbound.files],
    }


# ---------------------------------------------------------------------------- mail


def _context(st: PlanState, recipient: Party) -> dict[str, Any]:
    return {
        **st.facts,
        "filed": dict(st.filed),
        "recipient": {"name": recipient.name, "email": recipient.email},
    }


def _answer(params: Mapping[str, Any], st: PlanState, default_key: str) -> None:
    """reply / ask_sender: one threaded answer to the sender, unless that would be unsafe."""
    inbound, limit = st.inbound, st.settings.outbox.replies_per_hour
    address = inbound.reply_email
    if not address:
        st.note("no reply: the message has no valid sender address")
        return
    if inbound.no_reply:
        st.note(f"no reply: {address} must not get automatic answers (RFC 3834, list or bulk)")
        return
    if address in st.settings.own_addresses:
        st.note(f"no reply: {address} is one of our own addresses")
        return
    if st.records.replies_last_hour + st.replies_planned >= limit:
        st.note(f"no reply: already {limit} automatic replies to {address} in the last hour")
        return
    st.replies_planned += 1
    to = Party(inbound.reply_name or inbound.from_name, address)
    key = f"{params.get('key') or default_key}:{inbound.reply_key_id}"
    template = params["template"]
    st.effects.append(
        SendMail(key, "reply", template, (to,), _context(st, to), True, rate_key=address)
    )


def _reply(params: Mapping[str, Any], st: PlanState) -> None:
    _answer(params, st, "ack")


def _ask_sender(params: Mapping[str, Any], st: PlanState) -> None:
    _answer(params, st, "ask")


def role_people(settings: Settings, role: str) -> tuple[Party, ...]:
    """The people of a role, or the address itself when `role` is an address."""
    if "@" in role:
        return (Party("", role),)
    people = getattr(settings.roles, role.replace("-", "_"), ())
    return tuple(Party(p.name, p.email) for p in people)


def _notify(params: Mapping[str, Any], st: PlanState) -> None:
    targets = params["to"] if isinstance(params["to"], list) else [params["to"]]
    inbound = st.inbound
    sender = (
        Party(inbound.reply_name or inbound.from_name, inbound.reply_email)
        if inbound.reply_email and params.get("reply_to_sender", True)
        else None
    )
    for target in targets:
        people = role_people(st.settings, target)
        if not people:
            st.note(f"nobody to notify: the role {target!r} has no one in config.toml")
            continue
        key = f"{params.get('key') or 'notify'}:{inbound.key_id}:{target}"
        st.effects.append(
            SendMail(
                key,
                "notify",
                params["template"],
                people,
                _context(st, people[0]),
                False,
                reply_to=sender,
                attach_original=bool(params.get("attach_original", True)),
            )
        )


def _post_to_list(params: Mapping[str, Any], st: PlanState) -> None:
    to = Party(st.settings.group.name, st.settings.addresses.reflector)
    key = f"{params.get('key') or 'list'}:{st.inbound.key_id}"
    st.effects.append(
        SendMail(
            key,
            "list",
            params["template"],
            (to,),
            _context(st, to),
            False,
            attach_original=bool(params.get("attach_original", False)),
        )
    )


def _secretariat_command(params: Mapping[str, Any], st: PlanState) -> None:
    """A command mailed by the secretariat: carried out by the shell, the result answered."""
    inbound = st.inbound
    if "secretariat" not in st.facts["sender"]["roles"] or not inbound.authenticated:
        st.note("command ignored: only authenticated secretariat addresses may send commands")
        return
    candidates = [str(inbound.fields.get("command") or ""), inbound.text, inbound.subject]
    error = "no command found"
    for text in candidates:
        try:
            command = parse_command(text)
        except CommandError as problem:
            error = str(problem) if text.strip() else error
            continue
        st.effects.append(RunCommand(command))
        break
    else:
        st.filed["command"] = {"ok": False, "summary": f"not understood: {error}"}
    _answer(params, st, "done")


def _hold(params: Mapping[str, Any], st: PlanState) -> None:
    st.effects.append(SetStatus("held", str(params["reason"])))


def _quarantine(params: Mapping[str, Any], st: PlanState) -> None:
    st.effects.append(SetStatus("quarantined", str(params["reason"])))


_TEMPLATE = Param(str, True, "the template folder under templates/, e.g. registration_ack")
_KEY = Param(str, False, "the first part of the outbox key (default: the action's)")
_ORIGINAL = Param(bool, False, "attach the received message (default: true for notify)")

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("file_registration", _file_registration, {}, ("registration",)),
        Action("file_contribution", _file_contribution, {}, ("contribution",)),
        Action("file_liaison", _file_liaison, {}, ("liaison",)),
        Action("reply", _reply, {"template": _TEMPLATE, "key": _KEY}),
        Action("ask_sender", _ask_sender, {"template": _TEMPLATE, "key": _KEY}),
        Action(
            "notify",
            _notify,
            {
                "to": Param(
                    (str, list), True, 'a role ("secretariat", "chair", "vice_chair") or address'
                ),
                "template": _TEMPLATE,
                "key": _KEY,
                "attach_original": _ORIGINAL,
                "reply_to_sender": Param(bool, False, "Reply-To the sender (default: true)"),
            },
        ),
        Action(
            "post_to_list",
            _post_to_list,
            {"template": _TEMPLATE, "key": _KEY, "attach_original": _ORIGINAL},
        ),
        Action(
            "secretariat_command",
            _secretariat_command,
            {"template": _TEMPLATE, "key": _KEY},
            ("command",),
        ),
        Action("hold", _hold, {"reason": Param(str, True, "why, for the secretariat")}),
        Action("quarantine", _quarantine, {"reason": Param(str, True, "why, for the secretariat")}),
    )
}
