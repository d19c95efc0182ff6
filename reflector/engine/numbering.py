"""Document and liaison numbers from the site's patterns (pure).

    [numbering]
    contribution = "{group}-{meeting}-I-{seq:03d}"   -> JCA-QKDN-6-I-005
    liaison      = "{group}-LS-{seq:03d}"            -> JCA-QKDN-LS-012

The sequence counts per meeting when the pattern contains {meeting}, else for the whole group
(and per year when it contains {year}). A revision keeps its number: JCA-QKDN-6-I-005R1.
"""

from __future__ import annotations

import re
import string


def format_number(pattern: str, *, group: str, seq: int, meeting: str = "", year: int = 0) -> str:
    """The number for sequence `seq`.

    >>> format_number("{group}-{meeting}-I-{seq:03d}", group="JCA-QKDN", meeting="6", seq=5)
    'JCA-QKDN-6-I-005'
    """
    return pattern.format(group=group, meeting=meeting, seq=seq, year=year)


def per_meeting(pattern: str) -> bool:
    return "{meeting" in pattern


def per_year(pattern: str) -> bool:
    return "{year" in pattern


def number_regex(pattern: str, *, group: str, meeting: str = "", year: int = 0) -> re.Pattern[str]:
    """A regex finding numbers made by `pattern` in free text; group 1 is the number.

    >>> rx = number_regex("{group}-{meeting}-I-{seq:03d}", group="JCA-QKDN", meeting="6")
    >>> rx.search("Re: revised JCA-QKDN-6-I-005R1 (rev.2)").group(1)
    'JCA-QKDN-6-I-005'
    """
    parts: list[str] = []
    known = {"group": group, "meeting": meeting, "year": str(year)}
    for literal, name, _spec, _conv in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if name == "seq":
            parts.append(r"\d+")
        elif name is not None:
            parts.append(re.escape(known.get(name, "")))
    return re.compile(r"(?<![\w-])(" + "".join(parts) + r")(?:R\d+)?(?![\w])", re.IGNORECASE)
