"""Field extraction for the kinds that start workflows (pure; the starting version).

`null` (None) means "the message does not say": nothing is invented.
"""

from __future__ import annotations

import re
from typing import Any

from reflector.classify.rules import CANCEL_WORDS, IN_PERSON_WORDS, LIAISON_FOR, REMOTE_WORDS
from reflector.classify.verdict import SiteFacts
from reflector.mail.parse import ParsedMessage
from reflector.values import Kind

_SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:re|fwd?|aw|tr|wg|sv|答复|回复|转发)\s*:\s*)+", re.I)
_REVISION = re.compile(r"\b(?:rev(?:ision)?\.?\s*(\d+)|R(\d+)\b)", re.I)
_URL = re.compile(r"https?://[^\s<>\"')]+")
_DEADLINE = re.compile(r"^\s*deadline\s*:\s*(\d{4}-\d{2}-\d{2})", re.I | re.M)
_MEETING_REF = re.compile(
    r"\bmeeting\s*(?:no\.?|#)?\s*(\d+)\b|\b(\d+)(?:st|nd|rd|th)\s+meeting", re.I
)


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes.

    >>> clean_subject("Re: Fwd: Input to meeting 6")
    'Input to meeting 6'
    """
    return _SUBJECT_PREFIX.sub("", subject).strip()


def meeting_of(message: ParsedMessage, site: SiteFacts) -> str | None:
    """The configured meeting the message names, or None when it names none or several."""
    text = f"{message.subject}\n{message.text[:4000]}"
    named = {a or b for a, b in _MEETING_REF.findall(text)}
    found = {m.id for m in site.meetings if m.id in named}
    if len(site.meetings) == 1 and not named:
        return site.meetings[0].id
    return found.pop() if len(found) == 1 else None


def _files(message: ParsedMessage) -> list[dict[str, Any]]:
    return [
        {"name": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
        for a in message.attachments
        if not a.inline
    ]


def extract(kind: Kind, message: ParsedMessage, site: SiteFacts) -> dict[str, Any]:
    """The `fields` of a verdict of `kind` (empty for kinds without a contract)."""
    text = f"{message.subject}\n{message.text[:6000]}"
    if kind is Kind.REGISTRATION:
        mode = None
        if REMOTE_WORDS.search(text):
            mode = "remote"
        elif IN_PERSON_WORDS.search(text):
            mode = "in-person"
        sender = message.from_
        return {
            "action": "cancel" if CANCEL_WORDS.search(text) else "register",
            "meeting": meeting_of(message, site),
            "people": [
                {
                    "name": sender.name if sender and sender.name else None,
                    "email": sender.email if sender else None,
                    "organisation": None,
                    "mode": mode,
                }
            ],
        }
    if kind is Kind.CONTRIBUTION:
        revision = _REVISION.search(message.subject)
        return {
            "meeting": meeting_of(message, site),
            "title": clean_subject(message.subject) or None,
            "source": None,
            "revision": int(revision.group(1) or revision.group(2)) if revision else 0,
            "files": _files(message),
            "links": _URL.findall(message.text)[:20],
        }
    if kind is Kind.LIAISON:
        purpose = LIAISON_FOR.search(message.text)
        deadline = _DEADLINE.search(message.text)
        return {
            "source_body": None,
            "group": None,
            "title": clean_subject(message.subject) or None,
            "for": purpose.group(1).lower() if purpose else None,
            "deadline": deadline.group(1) if deadline else None,
            "contact": None,
            "files": _files(message),
        }
    return {}
