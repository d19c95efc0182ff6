"""The starting rule set: named rules, each recording why it hit (pure).

Shape borrowed from Mailman 3's rules: a rule has a name, a description, the kind it speaks for,
a weight, and a check that returns the evidence in plain words or None. Scores for a kind are
combined like independent evidence (noisy-OR): 1 - prod(1 - weight).

This is the backbone's deliberately small rule set; the classification issue replaces it with a
measured one. Add a rule by appending a `Rule` to `RULES`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reflector.classify.verdict import SiteFacts
from reflector.mail.parse import ParsedMessage
from reflector.mail.screen import Screening
from reflector.values import Kind

Check = Callable[[ParsedMessage, Screening, SiteFacts], str | None]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: Kind
    weight: float
    description: str
    check: Check


def _first_match(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(0).strip() if match else None


def _recipients(message: ParsedMessage) -> set[str]:
    return {a.key for a in (*message.to, *message.cc)}


# Words that name each kind, in the languages participants write in.
REGISTRATION_WORDS = re.compile(
    r"\b(?:pre-?)?regist(?:er|ration|ering)\b|\binscri(?:ption|re|pción|bir)\b|\banmeld\w*"
    r"|\bteilnahme\b|регистрац\w*|зарегистр\w*|报名|注册|登録|参加登録|등록|참가\s*신청",
    re.IGNORECASE,
)
CANCEL_WORDS = re.compile(
    r"\bcancel\w*|\bannul\w*|\bstornier\w*|\babmeld\w*|\bwithdraw\w*|отмен\w*|取消|キャンセル|취소",
    re.IGNORECASE,
)
REMOTE_WORDS = re.compile(
    r"\bremote(?:ly)?\b|\bonline\b|\bvirtual(?:ly)?\b|\bà distance\b|\ben ligne\b|\bdistancia\b"
    r"|\bvirtuell\b|удал[её]нн\w*|онлайн|远程|线上|リモート|オンライン|원격|온라인",
    re.IGNORECASE,
)
IN_PERSON_WORDS = re.compile(
    r"\bin[- ]person\b|\bon[- ]site\b|\bphysically\b|\ben présentiel\b|\bpresencial\b"
    r"|\bvor ort\b|очно|现场|対面|현장|대면",
    re.IGNORECASE,
)
CONTRIBUTION_WORDS = re.compile(
    r"\bcontribution\b|\binput (?:document|contribution)\b|\bsubmission\b|\bbeitrag\b"
    r"|\bcontribución\b|\bdocument d'entrée\b|\bвклад\b|\bдоклад\b|文稿|提案|寄書|기고",
    re.IGNORECASE,
)
LIAISON_SUBJECT = re.compile(r"\bLS\b|\bliaison\b|\bлиазон\w*|联络|リエゾン|연락\s*문서", re.I)
LIAISON_FOR = re.compile(r"^\s*for\s*:\s*(action|comment|information)\b", re.I | re.M)
COMMAND_LINE = re.compile(
    r"^\s*(subscribe|unsubscribe|help|digest\s+(?:on|off)|approve|reject|reclassify|who)\b",
    re.I,
)
DOCUMENT_TYPES = (".doc", ".docx", ".pdf", ".ppt", ".pptx", ".xls", ".xlsx", ".zip", ".odt")


def _to_request_address(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    if site.reflector_request and site.reflector_request in _recipients(m):
        return f"addressed to the list's request address {site.reflector_request}"
    return None


def _command_line(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    lines = [ln for ln in m.text.splitlines() if ln.strip() and not ln.startswith(">")]
    first = lines[0] if lines else m.subject
    if len(lines) <= 3 and (match := COMMAND_LINE.match(first) or COMMAND_LINE.match(m.subject)):
        return f"a one-line command '{match.group(1).lower()}'"
    return None


def _own_list_copy(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    return f"came through our reflector (List-Id {s.list_id})" if s.own_list else None


def _to_reflector(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    if site.reflector in _recipients(m):
        return f"addressed to the reflector {site.reflector}"
    return None


def _registration_subject(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    word = _first_match(REGISTRATION_WORDS, m.subject)
    return f"subject contains '{word}'" if word else None


def _registration_body(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    word = _first_match(REGISTRATION_WORDS, m.text[:4000])
    return f"text contains '{word}'" if word else None


def _liaison_subject(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    word = _first_match(LIAISON_SUBJECT, m.subject)
    return f"subject contains '{word}'" if word else None


def _liaison_for(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    match = LIAISON_FOR.search(m.text[:6000])
    return f"a 'For: {match.group(1).lower()}' line" if match else None


def _document_attachment(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    for attachment in m.attachments:
        if attachment.filename.lower().endswith(DOCUMENT_TYPES):
            return f"attachment '{attachment.filename}' ({attachment.content_type})"
    return None


def _contribution_words(m: ParsedMessage, s: Screening, site: SiteFacts) -> str | None:
    word = _first_match(CONTRIBUTION_WORDS, m.subject) or _first_match(
        CONTRIBUTION_WORDS, m.text[:2000]
    )
    return f"mentions '{word}'" if word else None


RULES: tuple[Rule, ...] = (
    Rule("request-address", Kind.COMMAND, 0.8, "sent to the -request address", _to_request_address),
    Rule(
        "command-line",
        Kind.COMMAND,
        0.7,
        "a short mail whose first line is a command",
        _command_line,
    ),
    Rule("own-list-copy", Kind.POST, 0.9, "a copy that came through our reflector", _own_list_copy),
    Rule("to-reflector", Kind.POST, 0.5, "addressed to the reflector", _to_reflector),
    Rule(
        "registration-subject",
        Kind.REGISTRATION,
        0.7,
        "subject speaks of registering",
        _registration_subject,
    ),
    Rule(
        "registration-text",
        Kind.REGISTRATION,
        0.4,
        "text speaks of registering",
        _registration_body,
    ),
    Rule(
        "liaison-subject", Kind.LIAISON, 0.8, "subject names a liaison statement", _liaison_subject
    ),
    Rule(
        "liaison-for", Kind.LIAISON, 0.5, "has the For: line of a liaison statement", _liaison_for
    ),
    Rule(
        "document-attachment",
        Kind.CONTRIBUTION,
        0.4,
        "carries a document file",
        _document_attachment,
    ),
    Rule(
        "contribution-words",
        Kind.CONTRIBUTION,
        0.5,
        "speaks of a contribution",
        _contribution_words,
    ),
)
