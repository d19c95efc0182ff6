"""The values classification works with (a leaf: imports only reflector.values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reflector.values import Kind


@dataclass(frozen=True)
class MeetingFacts:
    """What the classifier may know about a meeting to recognise references to it."""

    id: str  # "6"
    title: str  # "6th meeting of JCA-QKDN"
    day: date  # first day, local to the meeting
    place: str = ""  # "Seoul, Republic of Korea, and online"; its first word names the meeting


@dataclass(frozen=True)
class SiteFacts:
    """What the classifier knows about the site (built from Settings by the shell)."""

    group_name: str  # "JCA-QKDN"
    secretariat: str  # case-folded addresses
    reflector: str
    reflector_request: str | None
    meetings: tuple[MeetingFacts, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """What a message is, how sure we are, why, and what it says.

    `candidates` lists the best kinds with their scores, best first, so that a held message
    can show the secretariat the top two.
    """

    kind: Kind
    confidence: float  # 0..1
    reasons: tuple[str, ...]
    fields: dict[str, Any] = field(default_factory=dict)
    candidates: tuple[tuple[Kind, float], ...] = ()
