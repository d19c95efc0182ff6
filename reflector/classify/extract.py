"""The `fields` of a verdict, for the kinds that start workflows (pure).

The contract (docs/classification.md): None means "the message does not say"; nothing is
invented. Values come from labelled lines first ("Title:", "For:", "Deadline:", in any of our
languages), then from the sentences of the new text, then from the subject, and for a liaison
statement whose mail says nothing, from the attached document's first page.

    extract(Kind.LIAISON, view) -> {"source_body": "ETSI", "group": "ISG-QKD", "for": "action",
                                    "deadline": "2027-01-10", ...}
"""

from __future__ import annotations

import re
from typing import Any

from reflector.classify import lexicon as lx
from reflector.classify.bodies import DOMAIN_HINTS, find_body
from reflector.classify.dates import first_date
from reflector.classify.meetings import meetings_named
from reflector.classify.people import find_people, mode_of
from reflector.classify.view import MailView
from reflector.values import Kind

_URL = re.compile(r"https?://[^\s<>\"'）)\]]+")
_KEYS = {
    "title": r"title|titre|título|titel|titolo|название|тема|标题|文稿标题|題目|件名|제목",
    "source": r"source|sources|from|quelle|fuente|origen|origine|herkunft|источник|от|来源|提出元"
              r"|発信元|출처"
              r"|제출 기관|submitted by|organisation",
    "for": r"for|purpose|pour|para|zweck|цель|目的|用途|목적|action requested|requested action"
           r"|expected action|action expected",
    "deadline": r"deadline|reply by|please reply by|response deadline|reply deadline|due date"
                r"|(?:reply|response|comments?|answer) (?:is )?(?:requested |expected |needed )?by"
                r"|date limite|échéance|fecha límite|plazo|antwortfrist|frist|antwort bis"
                r"|срок ответа|срок|截止日期|截止|期限|回答期限|마감|기한|회신 기한",
    "contact": r"contacts?|response contacts?|technical contacts?|contact person|kontakt"
               r"|contacto|контакт\w*|联系人|連絡先|연락처",
    "approval": r"approval|approved|approbation|genehmigung|aprobación|утвержден\w*|批准|承認|승인",
}  # fmt: skip
_FIELD_LINE = re.compile(
    r"^\s*(?:[^\W\d]{1,6}\s+)?("
    + "|".join(_KEYS.values())
    + r")\s*(?:[:：]\s*|\s{2,}|\s(?=\S))(.+)$",
    re.IGNORECASE,
)
_COLON_ONLY = {"for", "from", "pour", "para", "от", "source", "organisation"}
_ANY_LABEL = re.compile(r"^\s*[^\W\d][\w .'/-]{0,30}\s*[:：]\s")
_KEY_OF = [(key, re.compile(rf"^(?:{pattern})$", re.IGNORECASE)) for key, pattern in _KEYS.items()]
_NONE = re.compile(r"^\s*(?:none|no|n/?a|-+|无|無|없음|нет|aucune?|ninguna?|keine)\b", re.I)
_FOR_IN_TEXT = re.compile(
    r"\b(?:for|pour|para|zur)\s+(action|comments?|information|commentaires?|comentarios?"
    r"|stellungnahme|kenntnisnahme|acción|información)\b"
)
_REPLY_WORDS = re.compile(
    r"reply|respond|response|comment|action|answer|répon|respuesta|antwort|stellungnahme|ответ"
    r"|回复|答复|回答|意見|회신|의견"
)
# "in reply to your LS of 20 October": the date of what is answered, not a deadline
_ANSWERING = re.compile(
    r"\b(?:in|as an?|as) (?:reply|response|answer) to\b|\breply (?:ls|liaison)\b"
    r"|\b(?:reply|response|answer) to (?:[\w/-]+ ){0,3}(?:ls|liaison|letter|statement) (?:of|dated"
    r"|from)\b"
    r"|\ben réponse à\b|\ben respuesta a\b"
    r"|\bals antwort auf\b|\bв ответ на\b|\bin risposta a\b|\bem resposta a\b"
)
_POSSESSIVE_SOURCE = re.compile(
    r"\b([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})['’]s?\s+(?:short\s+|first\s+)?"
    r"(?:contributions?|input|proposal)\b|\b([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})\s+submits\b"
)
_QUOTED_TITLE = re.compile(r"[\"“«„]([^\"”»“\n]{8,200})[\"”»“]")


def field_lines(text: str) -> dict[str, str]:
    """Labelled lines ("Title: ...", "目的 For: ...") -> {key: value}; the first of each wins.

    >>> field_lines("Title:  LS on QKD\\n   for networks\\n  For:  Comment\\nreply by 2026-11-15")
    {'title': 'LS on QKD for networks', 'for': 'Comment', 'deadline': '2026-11-15'}
    """
    found: dict[str, str] = {}
    lines = text.splitlines()[:400]
    skip = -1
    for i, line in enumerate(lines):
        m = _FIELD_LINE.match(line) if i > skip and len(line) <= 300 else None
        if m is None:
            continue
        label = m.group(1).strip()
        key = next((k for k, rx in _KEY_OF if rx.match(label)), None)
        if key is None or key in found:
            continue
        if label.lower() in _COLON_ONLY and not re.match(r"^[^:：]{0,12}[:：]", line.strip()):
            continue  # "For QKD networks ..." is a sentence, not a field
        value = m.group(2).strip()
        for j in range(i + 1, min(i + 3, len(lines))):  # continued on indented lines
            more = lines[j]
            if not more[:1].isspace() or not more.strip() or _ANY_LABEL.match(more):
                break
            value += " " + more.strip()
            skip = j
        found[key] = value
    return found


def purpose_of(value: str) -> str | None:
    """ "For:" value -> action | comment | information (the first one named).

    >>> purpose_of("供参考 / Information"), purpose_of("征求意见（For comment）"), purpose_of("x")
    ('information', 'comment', None)
    """
    lowered = value.lower()
    best: tuple[int, str] | None = None
    for purpose, pattern in lx.FOR_VALUES.items():
        m = pattern.search(lowered)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), purpose)
    return best[1] if best else None


def _year(view: MailView) -> int | None:
    return view.message.date.year if view.message.date else None


def _deadline(value: str | None, year: int | None) -> tuple[bool, str | None]:
    """(the field says something, the date or None)."""
    if value is None:
        return False, None
    if _NONE.match(value):
        return True, None
    day = first_date(value, year)
    return day is not None, day.isoformat() if day else None


def _asked_by(sentence: str, year: int | None) -> str | None:
    """The date a reply is asked by, written after the asking word ("reply by 15 January")."""
    lowered = _ANSWERING.sub(lambda m: " " * len(m.group(0)), sentence.lower())
    for word in _REPLY_WORDS.finditer(lowered):
        day = first_date(sentence[word.end() : word.end() + 80], year)
        if day:
            return day.isoformat()
    return None


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。！？])\s+|\n\s*\n", " ".join(text.split(" "))) if s]


def _files(view: MailView) -> list[dict[str, Any]]:
    return [
        {"name": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
        for a in view.files
    ]


def _content(view: MailView) -> str:
    """New and forwarded text in its original case."""
    forwarded = view.parts.forwarded + view.attached_text
    return f"{view.parts.own}\n{forwarded}" if forwarded else view.parts.own


def meeting_of(view: MailView, anchor: re.Pattern[str] | None = None) -> str | None:
    """The configured meeting the message is about, or None when it names none or is unclear.

    Several meetings named: the one in the sentence that asks (`anchor`), else the one the
    subject names; otherwise None, and the workflow asks the sender.
    """
    site = view.site
    content = " ".join(_content(view).split())
    in_subject = meetings_named(view.topic, site)
    in_text = meetings_named(content, site)
    in_files = meetings_named(" ".join(a.filename for a in view.files), site)
    named = list(dict.fromkeys([*in_subject, *in_text, *in_files]))
    if not named:
        quoted = meetings_named(view.parts.quoted[:3000], site)
        return quoted[0] if len(quoted) == 1 else None
    if len(named) == 1:
        return named[0]
    if anchor is not None:
        for sentence in _sentences(content.lower()):
            if anchor.search(sentence):
                here = meetings_named(sentence, site)
                if len(here) == 1:
                    return here[0]
    return in_subject[0] if len(in_subject) == 1 else None


def _registration(view: MailView) -> dict[str, Any]:
    text = _content(view)
    flat = " ".join(text.lower().split())
    asks = f"{view.topic_lower}\n{flat}"
    cancel = lx.cancellation_asked(asks)
    change = lx.change_asked(asks)
    meeting = meeting_of(view, lx.REGISTER_REQUEST)
    people = find_people(view, text)
    fields: dict[str, Any] = {
        "action": "change" if change else "cancel" if cancel else "register",
        "meeting": meeting,
        "people": people,
    }
    if cancel and lx.REGISTER_REQUEST.search(flat) and view.message.from_:
        sender = view.message.from_
        if all(p.get("email") != sender.email for p in people):
            # "cancel my registration and register my colleague instead"
            fields["action"] = "change"
            fields["replaces"] = [{"name": sender.name or None, "email": sender.email}]
    several = len(meetings_named(flat, view.site)) > 1
    others = _other_meetings(view, flat, meeting) if several else []
    if others:
        fields["other_meetings"] = others
        mode = _mode_for(flat, meeting, view)
        for person in people:
            person["mode"] = mode or person["mode"]
    return fields


def _mode_for(flat: str, meeting: str | None, view: MailView) -> str | None:
    for sentence in _sentences(flat):
        if meeting and meetings_named(sentence, view.site) == [meeting]:
            found = mode_of(sentence)
            if found:
                return found
    return None


def _other_meetings(view: MailView, flat: str, meeting: str | None) -> list[dict[str, Any]]:
    """Further meetings a registration asks for: [{"meeting": "6", "mode": "remote"}]."""
    others: dict[str, str | None] = {}
    for sentence in _sentences(flat):
        if not lx.REGISTER_REQUEST.search(sentence) and not lx.REGISTER.search(sentence):
            continue
        for named in meetings_named(sentence, view.site):
            if named != meeting and named not in others:
                others[named] = mode_of(sentence)
    return [{"meeting": m, "mode": mode} for m, mode in others.items()]


def _title_from_subject(view: MailView) -> str | None:
    topic = re.sub(r"\s*[\[(](?:for\s+\w+|rev\.?\s*\d+)[^\])]*[\])]\s*", " ", view.topic).strip()
    head, sep, tail = topic.partition(": ")
    if sep and tail.strip() and len(head) < 80:
        return tail.strip()
    return topic or None


def _contribution(view: MailView) -> dict[str, Any]:
    text = _content(view)
    fields = field_lines(text)
    if not fields.get("title") or not fields.get("source"):
        # The cover page of the attached document says what the mail does not.
        document = next(
            (t for i in range(min(2, len(view.documents))) if (t := view.document_text(i))), ""
        )
        for key, value in field_lines(document).items():
            if not fields.get(key):
                fields[key] = value
    title = fields.get("title")
    if not title:
        quoted = _QUOTED_TITLE.search(view.parts.own)
        title = quoted.group(1).strip() if quoted else _title_from_subject(view)
    source = fields.get("source")
    if not source or "@" in source:
        source = _possessive_source(view)
    names = " ".join(a.filename for a in view.files)
    numbers = [int(n) for n in lx.REVISION_NUMBER.findall(f"{view.subject} {names}")]
    revision = max(numbers) if numbers else 0
    if not revision and lx.REVISED.search(view.subject.lower()):
        found = lx.REVISION_NUMBER.findall(view.parts.own)
        revision = int(found[0]) if found else 1
    links = [u.rstrip(".,;:") for u in _URL.findall(view.parts.own)]
    return {
        "meeting": meeting_of(view),
        "title": " ".join(title.split()) if title else None,
        "source": source,
        "revision": revision,
        "files": _files(view),
        "links": list(dict.fromkeys(links))[:20],
    }


def _possessive_source(view: MailView) -> str | None:
    """ "QuantaNet's contribution", "CQ Telecom submits": an organisation, not a person."""
    m = _POSSESSIVE_SOURCE.search(" ".join(view.parts.own.split()))
    if m is None:
        return None
    found = (m.group(1) or m.group(2)).strip()
    people = " ".join(a.name for a in (view.message.from_, *view.message.to, *view.message.cc) if a)
    if found.lower() in people.lower():
        return None
    looks_like_org = len(found.split()) > 1 or any(c.isupper() for c in found[1:])
    return found if looks_like_org else None


def _liaison(view: MailView) -> dict[str, Any]:
    text = _content(view)
    fields = field_lines(text)
    document = ""
    if not {"for", "deadline"} <= fields.keys():
        document = next(
            (t for i in range(min(3, len(view.documents))) if (t := view.document_text(i))), ""
        )
        for key, value in field_lines(document).items():
            fields.setdefault(key, value)
    year = _year(view)
    purpose = purpose_of(fields["for"]) if "for" in fields else None
    if purpose is None:
        m = _FOR_IN_TEXT.search(view.topic_lower) or _FOR_IN_TEXT.search(view.content_flat)
        purpose = purpose_of(m.group(1)) if m else None
    said, deadline = _deadline(fields.get("deadline"), year)
    if not said:
        deadline = _asked_by(view.topic, year)
        for place in _sentences(" ".join(_URL.sub(" ", f"{text}\n{document}").split())):
            if deadline is None:
                deadline = _asked_by(place, year)
    exclude = view.site.group_name
    body = None
    places = (fields.get("source"), view.topic, _sender(view), document[:400], _names(view))
    for where in places:
        if where and (body := find_body(where, exclude=exclude)):
            break
    return {
        "source_body": body.name if body else None,
        "group": body.group if body else None,
        "title": fields.get("title") or _title_from_subject(view),
        "for": purpose,
        "deadline": deadline,
        "contact": fields.get("contact"),
        "approval": fields.get("approval"),
        "files": _files(view),
    }


def _sender(view: MailView) -> str:
    sender = view.message.from_
    if sender is None:
        return ""
    domain = " ".join(DOMAIN_HINTS.findall(sender.email))
    return f"{sender.name} {domain}"


def _names(view: MailView) -> str:
    return " ".join(re.sub(r"[_.]", " ", a.filename) for a in view.documents)


def extract(kind: Kind, view: MailView) -> dict[str, Any]:
    """The `fields` of a verdict of `kind` (empty for kinds without a contract)."""
    if kind is Kind.REGISTRATION:
        return _registration(view)
    if kind is Kind.CONTRIBUTION:
        return _contribution(view)
    if kind is Kind.LIAISON:
        return _liaison(view)
    if kind is Kind.COMMAND and view.own_lines:
        return {"command": view.own_lines[0][:200]}
    return {}
