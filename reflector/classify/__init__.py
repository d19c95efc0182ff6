"""Classification: kind, confidence, reasons and extracted fields (pure; no I/O).

    verdict = classify(parsed, screening, site)

Screening outranks classification: a message screening marks as auto-reply, bounce, receipt,
loop or spoofed keeps that kind, so it can never start a workflow that answers it. Mail a
program wrote (Auto-Submitted: auto-generated) is an auto-reply too, unless it is a liaison
statement laid out as one (a liaison tool distributing an LS): that is filed, never answered.
Otherwise every rule in `rules.RULES` looks at the message; the rules that hit are combined by the
log-linear model in `model` into a probability per kind, and the best kind's fields are
extracted. The verdict's reasons are the rules that pushed it, strongest first, each ending with
the rule's name; the last reason names the runner-up when it is not far behind. The design is
in docs/classification.md.
"""

from __future__ import annotations

from reflector.classify.extract import extract
from reflector.classify.model import Model, default_model
from reflector.classify.rules import RULES, Rule
from reflector.classify.verdict import MeetingFacts, SiteFacts, Verdict
from reflector.classify.view import MailView
from reflector.mail.parse import ParsedMessage
from reflector.mail.screen import Screening
from reflector.values import Kind

__all__ = ["MeetingFacts", "SiteFacts", "Verdict", "classify", "evidence"]

# A rule counts as a reason for a kind when its weight for that kind is at least this.
REASON_WEIGHT = 0.25
# The runner-up is named in the reasons when its probability is at least this.
RUNNER_UP = 0.05
# No verdict of the rules claims more: they were judged on about a hundred labelled messages, and
# after n right answers out of n the chance that the next is right is (n + 1) / (n + 2) (Laplace's
# rule of succession), 0.99 for n = 98. 1.0 stays for what screening reads in protocol headers.
CEILING = 0.99


def evidence(
    message: ParsedMessage, screening: Screening, site: SiteFacts, rules: tuple[Rule, ...] = RULES
) -> list[tuple[Rule, str]]:
    """Every rule that hits, with the sentence saying why (what training and eval look at)."""
    view = MailView.of(message, site)
    return [(rule, reason) for rule in rules if (reason := rule.check(view, screening))]


def classify(
    message: ParsedMessage,
    screening: Screening,
    site: SiteFacts,
    rules: tuple[Rule, ...] = RULES,
    model: Model | None = None,
) -> Verdict:
    """What `message` is, how sure we are, why, and what it says.

    >>> from reflector.mail.parse import parse
    >>> from reflector.mail.screen import ScreenPolicy, screen
    >>> site = SiteFacts("JCA-QKDN", "sec@org.example", "list@org.example", None)
    >>> policy = ScreenPolicy(frozenset(), frozenset(), frozenset(), frozenset(), "sec@org.example")
    >>> m = parse(b"From: a@b.example\\nSubject: Registration\\n\\nPlease register me (remote).")
    >>> v = classify(m, screen(m, policy), site)
    >>> v.kind, v.fields["people"][0]["mode"]
    (<Kind.REGISTRATION: 'registration'>, 'remote')
    >>> v.reasons[0]
    "asks to register someone ('please register') [registration-request]"
    """
    if screening.kind is not None:
        return Verdict(screening.kind, 1.0, screening.reasons, {}, ((screening.kind, 1.0),))
    model = model or default_model()
    view = MailView.of(message, site)
    hits = [(rule, reason) for rule in rules if (reason := rule.check(view, screening))]
    probabilities = model.probabilities(rule.name for rule, _ in hits)
    ranked = sorted(probabilities.items(), key=lambda item: (-item[1], item[0].value))
    ranked = [(k, min(p, CEILING)) for k, p in ranked]
    kind, confidence = ranked[0]
    if screening.automated and not (kind is Kind.LIAISON and _distributes_an_ls(hits)):
        # a program wrote it: only a liaison tool's LS is more than an automatic reply
        return Verdict(Kind.AUTO_REPLY, 1.0, screening.reasons, {}, ((Kind.AUTO_REPLY, 1.0),))
    reasons = _reasons(kind, hits, model)
    second, chance = ranked[1]
    if chance >= RUNNER_UP:
        why = _reasons(second, hits, model)
        shown = f": {why[0]}" if why and not why[0].startswith("no rule") else ""
        reasons.append(f"also looks like {second.value} ({chance:.2f}){shown}")
    return Verdict(
        kind,
        round(confidence, 3),
        tuple(reasons),
        extract(kind, view),
        tuple((k, round(p, 3)) for k, p in ranked[:3]),
    )


# What makes machine-written mail a liaison statement to file: laid out as an LS, with its For
# line; and not a receipt for one of ours.
_LS_LAYOUT = frozenset({"ls-form", "liaison-for"})


def _distributes_an_ls(hits: list[tuple[Rule, str]]) -> bool:
    names = {rule.name for rule, _ in hits}
    return bool(names & _LS_LAYOUT) and not names & {"receipt-notice", "own-ls"}


def _reasons(kind: object, hits: list[tuple[Rule, str]], model: Model) -> list[str]:
    pushing = [(model.weight(rule.name, kind), rule, reason) for rule, reason in hits]  # type: ignore[arg-type]
    pushing = [p for p in pushing if p[0] >= REASON_WEIGHT]
    pushing.sort(key=lambda p: -p[0])
    if not pushing:
        return ["no rule matched: filed as other"] if kind == "other" else ["no strong evidence"]
    return [f"{reason} [{rule.name}]" for _, rule, reason in pushing]
