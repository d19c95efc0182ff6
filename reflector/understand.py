"""Raw bytes -> what to do with them: parse, screen, classify, decide the status (pure).

    outcome = understand(raw, policy)
    outcome.status   # processed | quarantined | ignored | held
    outcome.reason   # one line a secretary understands

It never raises: a bug in any stage quarantines the message with the error in the reason,
so one odd message can never stop the pipeline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from reflector.classify import MeetingFacts, SiteFacts, Verdict, classify
from reflector.config import Settings
from reflector.errors import ParseError
from reflector.mail.parse import ParsedMessage, parse
from reflector.mail.screen import Screening, ScreenPolicy, screen
from reflector.values import Kind, MessageStatus

log = logging.getLogger(__name__)

# Screening kinds filed without any action (never answered: RFC 3834, RFC 3464, loops).
IGNORED_KINDS = frozenset({Kind.AUTO_REPLY, Kind.BOUNCE, Kind.RECEIPT, Kind.LOOP})


@dataclass(frozen=True)
class Policy:
    screen: ScreenPolicy
    site: SiteFacts
    max_message_bytes: int
    hold_below: float


@dataclass(frozen=True)
class Outcome:
    status: MessageStatus
    reason: str
    parsed: ParsedMessage | None = None
    screening: Screening | None = None
    verdict: Verdict | None = None


def list_id_of(address: str) -> str:
    """The RFC 2919 List-Id we use for a list address.

    >>> list_id_of("qkdn-jca@lists.sdo-coord.example")
    'qkdn-jca.lists.sdo-coord.example'
    """
    return address.casefold().replace("@", ".", 1)


def policy_from_settings(settings: Settings) -> Policy:
    addresses = settings.addresses
    return Policy(
        screen=ScreenPolicy(
            own_addresses=settings.own_addresses,
            secretariat_addresses=frozenset(p.email.casefold() for p in settings.roles.secretariat),
            authserv_ids=frozenset(settings.intake.authserv_ids),
            own_list_ids=frozenset({list_id_of(addresses.reflector)}),
            loop_marker=addresses.secretariat.casefold(),
        ),
        site=SiteFacts(
            group_name=settings.group.name,
            secretariat=addresses.secretariat.casefold(),
            reflector=addresses.reflector.casefold(),
            reflector_request=(addresses.reflector_request or "").casefold() or None,
            meetings=tuple(
                MeetingFacts(m.id, m.title, m.start.astimezone(m.zone).date(), m.place)
                for m in settings.meetings
            ),
        ),
        max_message_bytes=settings.intake.max_message_bytes,
        hold_below=settings.intake.hold_below,
    )


def understand(raw: bytes, policy: Policy) -> Outcome:
    try:
        return _understand(raw, policy)
    except Exception as error:
        log.exception("internal error while reading a message")
        return Outcome(
            MessageStatus.QUARANTINED,
            f"internal error while reading this message ({type(error).__name__}: {error}); "
            "please report it",
        )


def _understand(raw: bytes, policy: Policy) -> Outcome:
    try:
        parsed = parse(raw, max_bytes=policy.max_message_bytes)
    except ParseError as error:
        return Outcome(MessageStatus.QUARANTINED, f"cannot be read as an e-mail: {error.reason}")
    screening = screen(parsed, policy.screen)
    verdict = classify(parsed, screening, policy.site)
    first = verdict.reasons[0] if verdict.reasons else ""
    if verdict.kind in IGNORED_KINDS:
        return Outcome(
            MessageStatus.IGNORED, f"{verdict.kind}: {first}", parsed, screening, verdict
        )
    if verdict.kind is Kind.SPOOFED:
        return Outcome(
            MessageStatus.QUARANTINED,
            f"possibly forged sender: {first}",
            parsed,
            screening,
            verdict,
        )
    if verdict.confidence < policy.hold_below:
        options = " or ".join(f"{k} ({s:.2f})" for k, s in verdict.candidates[:2])
        return Outcome(
            MessageStatus.HELD, f"unsure what this is: {options}", parsed, screening, verdict
        )
    return Outcome(
        MessageStatus.PROCESSED,
        f"{verdict.kind} ({verdict.confidence:.2f}): {first}",
        parsed,
        screening,
        verdict,
    )
