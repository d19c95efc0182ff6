"""Calendar dates as people write them, in the languages participants use (pure).

    find_dates("reply by 15 November 2026")   -> [date(2026, 11, 15)]

Recognised: ISO (2026-11-15), day-month-year with month names (15 November 2026, 15 nov. 2026,
15. November 2026, 15 de noviembre de 2026, 15 ноября 2026, 15 novembre 2026), month-day-year
(November 15, 2026), numeric day.month.year and day/month/year, and the CJK forms 2026年11月15日
and 2026년 11월 15일. Day and month without a year are read only where a year is given as
`default_year`. A date written with dots (10.05.2027) is day first: the languages that write
dots (German, Russian, French ...) all put the day first, and US dates use slashes. A date with
slashes whose day and month could be swapped (03/04/2026) is not guessed: it is skipped,
because a wrong deadline is worse than none.
"""

from __future__ import annotations

import re
from datetime import date

from reflector.classify.lexicon import fast

# Month names and common abbreviations, case-folded, without accents where people drop them.
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan janvier janv janeiro enero ene januar jän gennaio января январь янв",
        "february feb février fevrier févr fevr febrero februar febbraio февраля февраль фев",
        "march mar mars marzo märz maerz marz marzo марта март",
        "april apr avril abril aprile апреля апрель апр",
        "may mai mayo maggio мая май",
        "june jun juin junio juni giugno июня июнь",
        "july jul juillet julio juli luglio июля июль",
        "august aug août aout agosto августа август авг",
        "september sep sept septembre septiembre setiembre settembre сентября сентябрь сен",
        "october oct octobre octubre oktober okt ottobre октября октябрь окт",
        "november nov novembre noviembre ноября ноябрь ноя",
        "december dec décembre decembre déc diciembre dic dezember dez dicembre декабря "
        "декабрь дек",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_MONTH = "(" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"
_YEAR = r"((?:19|20)[0-9][0-9])"
_DAY = r"([0-9]{1,2})"

# [0-9] rather than \d: `fast` can then see what a match starts with.
_ISO = fast(rf"(?<![0-9]){_YEAR}-([0-9]{{1,2}})-([0-9]{{1,2}})(?![0-9])")
_DMY_NAMED = fast(
    rf"(?<![0-9]){_DAY}(?:st|nd|rd|th|er|e|º|\.)?\s*(?:de\s+)?{_MONTH}(?:,?\s*(?:de\s+)?{_YEAR})?"
    r"(?:\s*(?:г\.?|года))?(?![\w])",
    re.IGNORECASE,
)
_MDY_NAMED = fast(
    rf"(?<![\w]){_MONTH}\s+{_DAY}(?:st|nd|rd|th)?(?:,?\s+{_YEAR})?(?![0-9])", re.IGNORECASE
)
_NUMERIC = fast(rf"(?<![0-9.]){_DAY}([./])([0-9]{{1,2}})\2{_YEAR}(?![0-9])")
_CJK = fast(rf"(?:{_YEAR}\s*[年년]\s*)?([0-9]{{1,2}})\s*[月월]\s*([0-9]{{1,2}})\s*[日일]")
_DIGIT = re.compile(r"[0-9]")


def _make(year: int | None, month: int, day: int) -> date | None:
    if year is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, default_year: int | None = None) -> list[tuple[int, date]]:
    """(position, date) of every date written in `text`, in order of position.

    >>> [d.isoformat() for _, d in find_dates("by 30 November 2026 or 2026-12-02")]
    ['2026-11-30', '2026-12-02']
    >>> [d.isoformat() for _, d in find_dates("截止日期：2026年12月20日; 14 октября 2026 г.")]
    ['2026-12-20', '2026-10-14']
    >>> find_dates("03/04/2026")  # day and month could be swapped: not guessed
    []
    >>> [d.isoformat() for _, d in find_dates("Antwortfrist: 10.05.2027")]  # dots: day first
    ['2027-05-10']
    """
    found: dict[int, date] = {}
    taken: list[tuple[int, int]] = []
    if not _DIGIT.search(text):
        return []

    def add(start: int, end: int, value: date | None) -> None:
        if value is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found[start] = value

    for m in _ISO.finditer(text):
        add(m.start(), m.end(), _make(int(m[1]), int(m[2]), int(m[3])))
    for m in _CJK.finditer(text):
        year = int(m[1]) if m[1] else default_year
        add(m.start(), m.end(), _make(year, int(m[2]), int(m[3])))
    for m in _DMY_NAMED.finditer(text):
        year = int(m[3]) if m[3] else default_year
        add(m.start(), m.end(), _make(year, _MONTHS[m[2].casefold()], int(m[1])))
    for m in _MDY_NAMED.finditer(text):
        year = int(m[3]) if m[3] else default_year
        add(m.start(), m.end(), _make(year, _MONTHS[m[1].casefold()], int(m[2])))
    for m in _NUMERIC.finditer(text):
        first, second = int(m[1]), int(m[3])
        if m[2] == ".":  # 10.05.2027: day first wherever dots are written (de, ru, fr ...)
            add(m.start(), m.end(), _make(int(m[4]), second, first))
            continue
        if first <= 12 and second <= 12 and first != second:
            continue  # 03/04/2026: April 3rd or March 4th? Do not guess.
        if second > 12:  # US order: month/day/year
            first, second = second, first
        add(m.start(), m.end(), _make(int(m[4]), second, first))
    return sorted(found.items())


def first_date(text: str, default_year: int | None = None) -> date | None:
    """The first date written in `text`, or None.

    >>> first_date("Please reply by 2 December 2026.")
    datetime.date(2026, 12, 2)
    """
    dates = find_dates(text, default_year)
    return dates[0][1] if dates else None
