"""Classification: kind, confidence, reasons and extracted fields (pure; no I/O).

    verdict = classify(parsed, screening, site)

Screening outranks classification: a message screening marks as auto-reply, bounce, receipt,
loop or spoofed keeps that kind, so it can never start a workflow that answers it.
"""

from __future__ import annotations

from collections import defaultdict

from reflector.classify.extract import extract
from reflector.classify.rules import RULES, Rule
from reflector.classify.verdict import MeetingFacts, SiteFacts, Verdict
from reflector.mail.parse import ParsedMessage
from reflector.mail.screen import Screening
from reflector.values import Kind

__all__ = ["MeetingFacts", "SiteFacts", "Verdict", "classify"]

# Confidence given to "other" when no rule speaks at all.
NOTHING_MATCHED = 0.5


def classify(
    message: ParsedMessage,
    screening: Screening,
    site: SiteFacts,
    rules: tuple[Rule, ...] = RULES,
) -> Verdict:
    if screening.kind is not None:
        return Verdict(screening.kind, 1.0, screening.reasons, {}, ((screening.kind, 1.0),))

    miss: dict[Kind, float] = defaultdict(lambda: 1.0)
    evidence: dict[Kind, list[str]] = defaultdict(list)
    for rule in rules:
        reason = rule.check(message, screening, site)
        if reason is not None:
            miss[rule.kind] *= 1.0 - rule.weight
            evidence[rule.kind].append(f"{reason} [{rule.name}]")
    if not miss:
        return Verdict(
            Kind.OTHER,
            NOTHING_MATCHED,
            ("no rule matched: filed as other",),
            {},
            ((Kind.OTHER, NOTHING_MATCHED),),
        )

    scores = sorted(((1.0 - m, k) for k, m in miss.items()), key=lambda s: (-s[0], s[1].value))
    (top, kind), *rest = scores
    second = rest[0][0] if rest else 0.0
    # Competing evidence for another kind lowers confidence.
    confidence = round(max(0.0, min(1.0, top - 0.5 * second)), 3)
    reasons = tuple(evidence[kind])
    if rest:
        reasons += (f"also looks like {rest[0][1].value} ({rest[0][0]:.2f})",)
    candidates = tuple((k, round(s, 3)) for s, k in scores[:3])
    return Verdict(kind, confidence, reasons, extract(kind, message, site), candidates)
