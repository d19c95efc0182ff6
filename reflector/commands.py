"""Secretariat commands, by e-mail or on the command line (pure parsing and field overrides).

    parse_command("reclassify #12 contribution meeting=6")
    # Command(action='reclassify', ref='#12', kind=<Kind.CONTRIBUTION>, fields={'meeting': '6'})
    parse_command("approve")      # release the message this mail answers (ref=None)

The verbs: `reclassify [REF] [as] KIND [key=value ...]`, `release [REF]` (also `approve`),
`reject [REF] [reason ...]`. REF is a row number (`12`, `#12`) or a Message-ID (`<x@y>`); in a
mail it may be left out when the mail replies to our forward or digest of that message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reflector.values import Kind

CORRECTABLE = (
    Kind.REGISTRATION,
    Kind.CONTRIBUTION,
    Kind.LIAISON,
    Kind.POST,
    Kind.COMMAND,
    Kind.OTHER,
)
_REF = re.compile(r"^(?:#?\d+|<[^<>\s]+>)$")
_FIELD = re.compile(r"^([a-z_]+)=(.*)$")
FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.REGISTRATION: ("action", "meeting", "mode", "name", "email", "organisation"),
    Kind.CONTRIBUTION: ("meeting", "title", "source", "revision"),
    Kind.LIAISON: ("source_body", "group", "title", "for", "deadline", "contact"),
}


class CommandError(ValueError):
    """A command that cannot be understood; the text says what is expected."""


@dataclass(frozen=True)
class Command:
    action: str  # "reclassify" | "release" | "reject"
    ref: str | None  # None: the message this mail replies to
    kind: Kind | None = None
    fields: dict[str, str] = field(default_factory=dict)
    reason: str = ""


def parse_command(text: str) -> Command:
    """The command in `text` (its first non-empty line); CommandError if there is none.

    >>> command = parse_command("Reclassify 12 as registration mode=remote")
    >>> command.action, command.ref, command.kind.value, command.fields
    ('reclassify', '12', 'registration', {'mode': 'remote'})
    >>> parse_command("reject <x@y.example> spam, obviously").reason
    'spam, obviously'
    """
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    words = line.split()
    if not words:
        raise CommandError("an empty command")
    verb, rest = words[0].casefold().rstrip(":"), words[1:]
    ref = rest.pop(0) if rest and _REF.match(rest[0]) else None
    if verb in ("release", "approve"):
        return Command("release", ref)
    if verb == "reject":
        return Command("reject", ref, reason=" ".join(rest))
    if verb != "reclassify":
        raise CommandError(f"{words[0]!r}: expected reclassify, release (approve) or reject")
    if rest and rest[0].casefold() == "as":
        rest.pop(0)
    if not rest:
        raise CommandError("reclassify needs a kind: " + ", ".join(k.value for k in CORRECTABLE))
    kind = _kind(rest.pop(0))
    fields: dict[str, str] = {}
    for word in rest:
        found = _FIELD.match(word)
        if not found:
            raise CommandError(f"{word!r}: expected key=value, e.g. meeting=6")
        fields[found.group(1)] = found.group(2)
    check_fields(kind, fields)
    return Command("reclassify", ref, kind, fields)


def _kind(word: str) -> Kind:
    for kind in CORRECTABLE:
        if word.casefold() == kind.value:
            return kind
    raise CommandError(
        f"{word!r}: expected a kind, one of " + ", ".join(k.value for k in CORRECTABLE)
    )


def check_fields(kind: Kind, fields: dict[str, str]) -> None:
    allowed = FIELDS.get(kind, ())
    for key in fields:
        if key not in allowed:
            expected = ", ".join(allowed) if allowed else f"none (a {kind} has no fields)"
            raise CommandError(f"field {key!r}: expected one of {expected}")


def with_overrides(kind: Kind, fields: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """`fields` (the classifier's) with the secretariat's values put in (pure).

    >>> people = {"people": [{"name": "A", "mode": None}]}
    >>> with_overrides(Kind.REGISTRATION, people, {"mode": "remote"})
    {'people': [{'name': 'A', 'mode': 'remote'}]}
    """
    check_fields(kind, overrides)
    out = dict(fields)
    if kind is Kind.REGISTRATION:
        people = [dict(p) for p in out.get("people") or [{}]]
        for key, value in overrides.items():
            if key in ("action", "meeting"):
                out[key] = value
            elif key == "mode":
                for person in people:
                    person["mode"] = value
            else:
                people[0][key] = value
        out["people"] = people
        return out
    for key, value in overrides.items():
        out[key] = int(value) if key == "revision" and value.isdigit() else value
    return out
