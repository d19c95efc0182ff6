"""Which configured meeting a message is about: by number, name, date or place (pure).

    meetings_named(text, site)  -> ["5", "6"]   # configured ids, in order of first mention

A number counts only next to a word for meeting in some language ("meeting 5", "5th
meeting", "réunion n°5", "5. Sitzung", "5-е собрание", "第5次会议", "第5回会合", "제5차
회의", "mtg 5") or in our document names ("JCA-QKDN-5-..."). A date counts when it is the first
day of a configured meeting, a place when it is the first word of its place ("Seoul"). Numbers
that are not configured meetings are ignored, so "meeting 12" names nothing here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from reflector.classify.dates import find_dates
from reflector.classify.lexicon import fast
from reflector.classify.verdict import MeetingFacts, SiteFacts

_WORD = (
    r"(?:meetings?|mtg|meet|session|réunion|reunion|reunión|reunião|riunione|sitzung|treffen"
    r"|tagung|vergadering|spotkani\w*|toplantı\w*|собрани\w*|заседани\w*|совещани\w*|встреч\w*"
    r"|会议|會議|会議|会合|회의)"
)
_ID = r"(\w[\w.-]*?)"
_NO_YEAR = 4  # a leap year that no text writes: "14 October" without a year


@lru_cache(maxsize=16)
def _patterns(group: str) -> tuple[re.Pattern[str], ...]:
    g = re.escape(group.lower())
    return (
        # meeting 5, meeting no. 5, meeting #5, réunion n°5, JCA-QKDN meeting 5
        fast(rf"{_WORD}\s*(?:{g}\s*)?(?:no\.?|n°|nº|n\.|#|number|nr\.?|№)?\s*{_ID}(?![\w-])"),
        # 5th meeting, 5e réunion, 5.ª reunión, 5. Sitzung, 5-е собрание, 5th JCA-QKDN meeting
        re.compile(rf"(?<![\w.-])(\d+)\s*(?:st|nd|rd|th|e|ème|eme|er|\.ª|ª|\.|a|o|-?е|-?го|-?му|-?м)?"
                   rf"\s+(?:\w+\s+)?(?:{g}[- ]?)?{_WORD}"),
        # 第5次会议, 第5回会合, 제5차 회의
        fast(r"第\s*(\d+)\s*(?:次|回|届)|제\s*(\d+)\s*차"),
        # JCA-QKDN-5-contrib-..., JCA-QKDN 5, JCA-QKDN-6 Beitrag, JCA-QKDN/5, JCA-QKDN #7
        fast(rf"{g}\s*(?:[-_/ ]|#|no\.)\s*(\d+)(?![\d])"),
    )  # fmt: skip


_CJK_ORDINAL = re.compile(r"(第|제)\s*([一二三四五六七八九十]{1,3})\s*(次|回|届|차)")
_CJK_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")}


def _cjk_digits(m: re.Match[str]) -> str:
    """ "第七次" -> "第7次", "第十二回" -> "第12回" (same length or shorter: positions shift
    only after the match, and only the order of mentions is used)."""
    numeral = m.group(2)
    tens, _, units = numeral.partition("十")
    if "十" in numeral:
        value = (_CJK_DIGIT.get(tens, 1) if tens else 1) * 10 + _CJK_DIGIT.get(units, 0)
    else:
        value = _CJK_DIGIT[numeral[0]]
    return f"{m.group(1)}{value}{m.group(3)}"


def _fold(text: str) -> str:
    """Lower case without accents: "Séoul" -> "seoul"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=64)  # a meeting's place word is the same for every message
def _place_word(meeting: MeetingFacts) -> str | None:
    first = re.split(r"[,;(/]| and | et | und ", meeting.place)[0].strip()
    word = _fold(first)
    return word if len(word) >= 3 and word not in {"online", "virtual", "remote", "tbd"} else None


def meetings_named(text: str, site: SiteFacts) -> list[str]:
    """Ids of configured meetings that `text` names, in order of first mention.

    >>> from datetime import date
    >>> site = SiteFacts("JCA-QKDN", "s@x.example", "l@x.example", None, (
    ...     MeetingFacts("5", "JCA-QKDN meeting 5", date(2026, 10, 14), "Seoul and online"),
    ...     MeetingFacts("6", "JCA-QKDN meeting 6", date(2027, 1, 20), "Online")))
    >>> meetings_named("pls register me for mtg 5, remote", site)
    ['5']
    >>> meetings_named("JCA-QKDN第5次会议 ... 20 January 2027", site)
    ['5', '6']
    >>> meetings_named("our input for the Séoul meeting", site), meetings_named("meeting 12", site)
    (['5'], [])
    >>> meetings_named("第六次JCA-QKDN会议", site)
    ['6']
    """
    if not site.meetings or not text:
        return []
    lowered = _CJK_ORDINAL.sub(_cjk_digits, text.lower())
    ids = {m.id.lower(): m.id for m in site.meetings}
    found: dict[str, int] = {}

    def saw(meeting_id: str | None, at: int) -> None:
        if meeting_id and meeting_id.lower() in ids:
            known = ids[meeting_id.lower()]
            found[known] = min(found.get(known, at), at)

    for pattern in _patterns(site.group_name):
        for m in pattern.finditer(lowered):
            saw(next((g for g in m.groups() if g), None), m.start())
    for meeting in site.meetings:
        if meeting.title and meeting.title.lower() in lowered:
            saw(meeting.id, lowered.index(meeting.title.lower()))
    by_day = {meeting.day: meeting.id for meeting in site.meetings}
    by_month_day = {(meeting.day.month, meeting.day.day): meeting.id for meeting in site.meetings}
    for at, day in find_dates(text, default_year=_NO_YEAR):
        saw(by_month_day.get((day.month, day.day)) if day.year == _NO_YEAR else by_day.get(day), at)
    folded = None
    for meeting in site.meetings:
        word = _place_word(meeting)
        if word is None:
            continue
        if folded is None:
            folded = lowered if text.isascii() else _fold(text)
        hit = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded)
        if hit:
            saw(meeting.id, hit.start())
    return [meeting for meeting, _ in sorted(found.items(), key=lambda item: item[1])]
