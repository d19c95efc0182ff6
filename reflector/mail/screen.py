"""Screening: is this mail something we must never answer, or must not trust? (pure)

Usage:

    screen(message: ParsedMessage, policy: ScreenPolicy) -> Screening

Screening is a list of named rules (Mailman's vocabulary: a rule is a named predicate with a
description that records *why* it hit). Every hit is a reason not to answer automatically; the
rules that name a kind are ordered by precedence, and the first kind that hits wins:

    SPOOFED > LOOP > BOUNCE > RECEIPT > AUTO_REPLY

Forgery comes first because every other kind triggers an automatic action on the strength of
what the message claims: a LOOP is dropped silently, a BOUNCE counts against a member's
address, a RECEIPT or AUTO_REPLY is filed away. A forged bounce or a forged "our own mail" must
reach a human instead. LOOP comes next: it is the cheapest to be wrong about (nothing is ever
sent) and the costliest to miss (a mail storm). Delivery reports come before receipts and
auto-replies because they are the most specific (machine-readable report parts), and an
auto-reply header on a bounce (Postfix writes "Auto-Submitted: auto-replied") says less than
the report itself.

ARF abuse/feedback reports (RFC 5965) are screened as BOUNCE: like a hard bounce they tell us
to stop sending to a recipient, and like one they must never be answered.

Adding a rule: write a function `Evidence -> reason | None` and put a `Rule` in `RULES` at the
place its kind belongs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reflector.mail.authresults import AuthResults, identity_unproven, trusted_results
from reflector.mail.fields import mime_field
from reflector.mail.parse import ParsedMessage
from reflector.values import Kind


@dataclass(frozen=True)
class ScreenPolicy:
    """What screening needs to know about the site."""

    own_addresses: frozenset[str]  # case-folded: secretariat, reflector, request address
    secretariat_addresses: frozenset[str]  # case-folded: people allowed to command the bot
    authserv_ids: frozenset[str]  # Authentication-Results from these hosts only are trusted
    own_list_ids: frozenset[str]  # our reflector's List-Id value(s), e.g. "qkdn-jca.lists.x"
    loop_marker: str  # value of the X-Loop header we put on every mail we send


@dataclass(frozen=True)
class AuthVerdict:
    """Authentication results from trusted Authentication-Results headers (RFC 8601)."""

    dmarc: str | None  # "pass", "fail", "none", ... or None when no trusted header says
    dkim: str | None
    spf: str | None


@dataclass(frozen=True)
class Screening:
    kind: Kind | None  # AUTO_REPLY, BOUNCE, RECEIPT, LOOP, SPOOFED, or None for ordinary mail
    reasons: tuple[str, ...]  # short human sentences naming the evidence
    no_reply: bool  # never send an automatic answer (RFC 3834 s.2, list traffic, bulk)
    list_id: str | None  # the List-Id this copy came through, if any
    own_list: bool  # the List-Id is our own reflector's
    auth: AuthVerdict
    # our MTA's results prove the From address (DMARC pass, or an aligned DKIM/SPF pass): what
    # secretariat commands need. A pass for another domain (a list's signature) is not proof.
    sender_proven: bool = False
    # Auto-Submitted: auto-generated, and no other kind: a program wrote it (classify decides)
    automated: bool = False


@dataclass(frozen=True)
class Evidence:
    """Everything the rules look at, worked out once per message."""

    message: ParsedMessage
    policy: ScreenPolicy
    fields: dict[str, list[str]]  # lower-case header name -> decoded values, in order
    trusted: tuple[AuthResults, ...]  # Authentication-Results written by our own MTA
    auth: AuthVerdict
    list_id: str | None
    own_list: bool  # list_id is one of policy.own_list_ids
    # our own list server sent this copy: our List-Id, and our MTA saw a DKIM or SPF pass for
    # one of our own domains. The list rewrote the mail (subject tag, footer), so the author's
    # DKIM signature breaks and DMARC fails for the author's domain: that is not a forgery.
    relayed_by_own_list: bool
    report_type: str  # of a top-level multipart/report (RFC 6522), else ""
    outer_types: tuple[str, ...]  # content types outside any attached message

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Rule:
    """A named check: returns the reason it hit, or None. `kind` None: only "do not answer"."""

    name: str
    kind: Kind | None
    description: str
    check: Callable[[Evidence], str | None]


def screen(message: ParsedMessage, policy: ScreenPolicy) -> Screening:
    """Decide whether `message` is automatic mail, a loop or a forgery, and whether to answer.

    >>> from reflector.mail.parse import parse
    >>> policy = ScreenPolicy(frozenset({"sec@org.example"}), frozenset(),
    ...                       frozenset({"mx.org.example"}), frozenset(), "sec@org.example")
    >>> s = screen(parse(b"From: a@b.example\\nAuto-Submitted: auto-replied\\n\\nAway"), policy)
    >>> s.kind, s.reasons, s.no_reply
    (<Kind.AUTO_REPLY: 'auto-reply'>, ('Auto-Submitted: auto-replied (RFC 3834)',), True)
    """
    evidence, notes = _evidence(message, policy)
    hits = [(rule, reason) for rule in RULES if (reason := rule.check(evidence))]
    kind = next((rule.kind for rule, _ in hits if rule.kind is not None), None)
    return Screening(
        kind=kind,
        reasons=(*(reason for _, reason in hits), *notes),
        no_reply=bool(hits),
        list_id=evidence.list_id,
        own_list=evidence.own_list,
        auth=evidence.auth,
        automated=kind is None and any(rule.name == "auto-generated" for rule, _ in hits),
        sender_proven=message.from_ is not None
        and identity_unproven(evidence.trusted, message.from_.email) is None,
    )


def _evidence(message: ParsedMessage, policy: ScreenPolicy) -> tuple[Evidence, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in message.headers:
        fields.setdefault(name, []).append(value)
    trusted, notes = trusted_results(fields.get("authentication-results", []), policy.authserv_ids)
    ctype, params = mime_field(fields.get("content-type", [""])[0])
    outer: list[str] = []
    for part_type in message.content_types:
        if part_type in ("message/rfc822", "message/global"):
            break  # parts of an attached (e.g. forwarded) message say nothing about this one
        outer.append(part_type)
    list_id = _list_id(fields.get("list-id", [None])[0])
    own_list = list_id in {i.lower() for i in policy.own_list_ids}
    relayed = own_list and _our_domain_passes(trusted, policy.own_addresses)
    auth = _verdict(trusted)
    if relayed and auth.dmarc == "fail":
        notes.append(
            "DMARC fails for the author's domain, as it does for every copy our list rewrites; "
            "our list server's own signature or SPF passes"
        )
    evidence = Evidence(
        message=message,
        policy=policy,
        fields=fields,
        trusted=trusted,
        auth=auth,
        list_id=list_id,
        own_list=own_list,
        relayed_by_own_list=relayed,
        report_type=params.get("report-type", "").lower() if ctype == "multipart/report" else "",
        outer_types=tuple(outer),
    )
    return evidence, notes


def _verdict(trusted: tuple[AuthResults, ...]) -> AuthVerdict:
    def result(method: str) -> str | None:
        # The topmost trusted field is the newest (RFC 8601 s.5: prepended on arrival).
        return next((r.result for ar in trusted if (r := ar.first(method))), None)

    return AuthVerdict(dmarc=result("dmarc"), dkim=result("dkim"), spf=result("spf"))


def _list_id(value: str | None) -> str | None:
    """RFC 2919 s.3: `List-Id: Display name <list-label>`; the label, lower-case."""
    if not value:
        return None
    match = re.search(r"<([^<>]+)>", value)
    label = (match[1] if match else value).strip().lower()
    return label or None


# --- SPOOFED ------------------------------------------------------------------------------


def _our_domain_passes(trusted: tuple[AuthResults, ...], own_addresses: frozenset[str]) -> bool:
    domains = {a.rpartition("@")[2] for a in own_addresses}
    return any(
        identity_unproven((_without_dmarc(ar),), f"list@{domain}") is None
        for ar in trusted
        for domain in domains
    )


def _without_dmarc(ar: AuthResults) -> AuthResults:
    return AuthResults(ar.authserv_id, tuple(r for r in ar.results if r.method != "dmarc"))


def _dmarc_fail(ev: Evidence) -> str | None:
    if ev.relayed_by_own_list:
        return None  # see Evidence.relayed_by_own_list
    for ar in ev.trusted:
        dmarc = ar.first("dmarc")
        if dmarc is not None:
            return f"DMARC fail per {ar.authserv_id}" if dmarc.result == "fail" else None
    return None


def _forged_own_address(ev: Evidence) -> str | None:
    sender = ev.message.from_
    claimed = ev.policy.own_addresses | ev.policy.secretariat_addresses
    if sender is None or sender.key not in claimed or ev.relayed_by_own_list:
        return None  # a list copy of our staff's post: list traffic, never a command
    why = identity_unproven(ev.trusted, sender.email)
    return f"From claims our address {sender.email}, but {why}" if why else None


# --- LOOP ---------------------------------------------------------------------------------


def _bare(value: str) -> str:
    return value.strip().strip("<>").strip().casefold()


def _our_x_loop(ev: Evidence) -> str | None:
    marker = _bare(ev.policy.loop_marker)
    if any(_bare(v) == marker for v in ev.fields.get("x-loop", [])):
        return f"X-Loop: {ev.policy.loop_marker} is our own marker"
    return None


def _own_mail_returned(ev: Evidence) -> str | None:
    sender = ev.message.from_
    if sender is None or sender.key not in ev.policy.own_addresses or ev.list_id is not None:
        return None  # a copy of our own post from a list is list traffic, not a loop
    if identity_unproven(ev.trusted, sender.email):
        return None  # then it is not ours at all: see forged-own-address
    return f"From is our own address {sender.email}: our own mail came back"


# RFC 5321 s.6.3 suggests 100 hops for relays; a real mail to the secretariat takes fewer than
# 15, so 30 stops a loop long before an MTA would.
_MAX_HOPS = 30


def _too_many_hops(ev: Evidence) -> str | None:
    hops = len(ev.fields.get("received", []))
    if hops > _MAX_HOPS:
        return f"{hops} Received header fields: the message is going round in circles"
    return None


# --- BOUNCE -------------------------------------------------------------------------------


def _report(
    report_type: str, part_types: tuple[str, ...], rfc: str
) -> Callable[[Evidence], str | None]:
    """A check for a report (RFC 6522): by the top-level report-type, or by its report part."""

    def check(ev: Evidence) -> str | None:
        if ev.report_type == report_type:
            return f"multipart/report; report-type={report_type} ({rfc})"
        part = next((t for t in ev.outer_types if t in part_types), None)
        return f"a {part} part ({rfc})" if part else None

    return check


_DAEMON = re.compile(r"\b(mailer-daemon|mail delivery (subsystem|system))\b", re.IGNORECASE)
_POSTMASTER = re.compile(r"\bpostmaster@", re.IGNORECASE)
# Anchored at the start: people write "Re: returned mail"; mail systems put these words first.
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undelivered mail returned to sender|undeliverable( mail)?\s*:|undelivered\s*:|"
    r"delivery status notification \((failure|delay)\)|returned mail\b|failure notice\b|"
    r"mail delivery (failed|failure)|delivery (failure|has failed)|non[- ]?delivery|"
    r"delayed mail\b|warning: could not send)",
    re.IGNORECASE,
)


def _classic_bounce(ev: Evidence) -> str | None:
    sender = ev.first("from") or ""
    subject = ev.message.subject
    if re.search(r"\bmailer-daemon@", sender, re.IGNORECASE):
        return f"From {sender}: a delivery failure notice"
    daemonish = bool(_DAEMON.search(sender) or _POSTMASTER.search(sender))
    null_sender = (ev.first("return-path") or "").replace(" ", "") == "<>"
    if (daemonish or null_sender) and _BOUNCE_SUBJECT.match(subject):
        who = f"From {sender}" if daemonish else "Return-Path <>"
        return f"{who} with subject {subject[:60]!r}: a delivery failure notice"
    return None


# --- RECEIPT ------------------------------------------------------------------------------

_READ_SUBJECT = re.compile(r"^\s*(read|not read|gelesen|nicht gelesen|lu|leído|letto)\s*:", re.I)
_READ_BODY = re.compile(
    r"\bwas read on\b|\bwithout being read\b|\bwurde am .{0,80} gelesen|\ba été lu\b|\bfue leído\b",
    re.IGNORECASE | re.DOTALL,
)


def _read_receipt(ev: Evidence) -> str | None:
    subject = ev.message.subject
    if _READ_SUBJECT.match(subject) and _READ_BODY.search(ev.message.text[:2000]):
        return f"subject {subject[:60]!r} with a read-receipt text (Outlook)"
    return None


# --- AUTO_REPLY ---------------------------------------------------------------------------


def _auto_submitted_keyword(ev: Evidence) -> str:
    value = ev.first("auto-submitted")
    return value.split(";")[0].strip().lower() if value else ""


def _auto_submitted(ev: Evidence) -> str | None:
    keyword = _auto_submitted_keyword(ev)
    if keyword in ("", "no", "auto-generated"):
        return None
    return f"Auto-Submitted: {keyword} (RFC 3834)"


def _auto_generated(ev: Evidence) -> str | None:
    """RFC 3834 s.5: "auto-generated" is mail a program wrote, not an answer to a message
    (that is "auto-replied"): a liaison tool's distribution of an LS, as well as a receipt.
    Never answered; classification decides whether it is anything but an automatic reply
    (`reflector.classify`: only a liaison statement laid out as one is)."""
    keyword = _auto_submitted_keyword(ev)
    return "Auto-Submitted: auto-generated (RFC 3834)" if keyword == "auto-generated" else None


_AUTOREPLY_FIELDS = {"x-autoreply": "X-Autoreply", "x-autorespond": "X-Autorespond"}


def _autoreply_headers(ev: Evidence) -> str | None:
    for name, shown in _AUTOREPLY_FIELDS.items():
        value = ev.first(name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return f"{shown}: {value} (set by vacation responders)"
    return None


def _precedence_auto_reply(ev: Evidence) -> str | None:
    value = (ev.first("precedence") or "").strip().lower()
    return "Precedence: auto_reply" if value == "auto_reply" else None


def _exchange_rule(ev: Evidence) -> str | None:
    value = ev.first("x-ms-exchange-inbox-rules-loop")
    if not value:
        return None
    return f"X-MS-Exchange-Inbox-Rules-Loop: {value} (sent by an Exchange inbox rule)"


# Anchored at the start and ended by a colon (or the end): "Re: out of office policy" and
# "Out of office hours support" are written by people.
_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office( auto ?reply)?|automatic reply|auto(matic)?[- ]?(reply|response)"
    r"|auto|abwesenheitsnotiz|automatische antwort|réponse automatique"
    r"|respuesta automática|risposta automatica|resposta automática|automatisch antwoord"
    r"|自动回复|自動回覆|自動応答|自動返信|자동 응답|자동응답)\s*([:：]|$)",
    re.IGNORECASE,
)


def _auto_reply_subject(ev: Evidence) -> str | None:
    match = _AUTO_SUBJECT.match(ev.message.subject)
    if not match:
        return None
    suppress = ev.first("x-auto-response-suppress")
    also = f", with X-Auto-Response-Suppress: {suppress}" if suppress else ""
    return f"subject starts with {match[1]!r}{also}"


# --- do not answer, whatever the kind -------------------------------------------------------


def _bulk(ev: Evidence) -> str | None:
    value = (ev.first("precedence") or "").strip().lower()
    return f"Precedence: {value} (RFC 3834 s.2)" if value in ("bulk", "junk", "list") else None


def _list_traffic(ev: Evidence) -> str | None:
    for name in ("list-id", "list-post", "list-unsubscribe"):
        if name in ev.fields:
            return f"list traffic ({name.title()}: {ev.fields[name][0][:80]})"
    return None


def _null_sender(ev: Evidence) -> str | None:
    path = (ev.first("return-path") or "").replace(" ", "")
    return (
        "Return-Path: <> (RFC 5321 s.4.5.5: never answer a null sender)" if path == "<>" else None
    )


def _suppress_auto_response(ev: Evidence) -> str | None:
    value = ev.first("x-auto-response-suppress") or ""
    asked = {token.strip().lower() for token in value.split(",")}
    if asked & {"all", "oof", "autoreply"}:
        return f"X-Auto-Response-Suppress: {value} (the sender asks for no automatic answer)"
    return None


RULES: tuple[Rule, ...] = (
    Rule("dmarc-fail", Kind.SPOOFED, "our MTA says DMARC fails", _dmarc_fail),
    Rule("forged-own-address", Kind.SPOOFED, "From is ours, unproven", _forged_own_address),
    Rule("our-x-loop", Kind.LOOP, "carries our own X-Loop marker", _our_x_loop),
    Rule("own-mail-returned", Kind.LOOP, "From is our own address", _own_mail_returned),
    Rule("too-many-hops", Kind.LOOP, f"more than {_MAX_HOPS} Received", _too_many_hops),
    Rule("dsn", Kind.BOUNCE, "RFC 3464 delivery status notification",
         _report("delivery-status",
                 ("message/delivery-status", "message/global-delivery-status"), "RFC 3464")),
    Rule("feedback-report", Kind.BOUNCE, "RFC 5965 abuse/feedback report",
         _report("feedback-report", ("message/feedback-report",), "RFC 5965")),
    Rule("classic-bounce", Kind.BOUNCE, "bounce from a mail system without DSN", _classic_bounce),
    Rule("mdn", Kind.RECEIPT, "RFC 8098 message disposition notification",
         _report("disposition-notification",
                 ("message/disposition-notification",
                  "message/global-disposition-notification"), "RFC 8098")),
    Rule("read-receipt", Kind.RECEIPT, "Outlook-style read receipt", _read_receipt),
    Rule("auto-submitted", Kind.AUTO_REPLY, "RFC 3834 Auto-Submitted: auto-replied",
         _auto_submitted),
    Rule("autoreply-header", Kind.AUTO_REPLY, "X-Autoreply and kin", _autoreply_headers),
    Rule("precedence-auto-reply", Kind.AUTO_REPLY, "Precedence: auto_reply",
         _precedence_auto_reply),
    Rule("exchange-rule", Kind.AUTO_REPLY, "Exchange inbox rule", _exchange_rule),
    Rule("auto-reply-subject", Kind.AUTO_REPLY, "out-of-office subject", _auto_reply_subject),
    Rule("auto-generated", None, "RFC 3834 Auto-Submitted: auto-generated", _auto_generated),
    Rule("bulk", None, "Precedence: bulk/junk/list", _bulk),
    Rule("list-traffic", None, "List-Id/List-Post/List-Unsubscribe", _list_traffic),
    Rule("null-sender", None, "Return-Path <>", _null_sender),
    Rule("suppress-auto-response", None, "X-Auto-Response-Suppress", _suppress_auto_response),
)  # fmt: skip
