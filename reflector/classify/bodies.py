"""Other standards bodies, by the names they write for themselves (pure data and lookup).

    find_body("From: ETSI ISG QKD")        -> Body("ETSI", "ISG-QKD")
    find_body("ISO/IEC JTC 1/SC 27")       -> Body("ISO/IEC JTC 1", "SC 27")

`source_body` in a liaison's fields is one of the canonical names below; `group` is the
committee inside it, written the way the body writes it ("ISG-QKD", "SC 27", "QIRG", "SG17",
"TC 86", "JTC 22", "TC5"). Mentions of our own group (e.g. "ITU-T JCA-QKDN", the addressee of
every LS) are skipped by the caller passing `exclude`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Body:
    name: str  # canonical: "ETSI", "ISO/IEC JTC 1", "IEEE", "IETF", "IRTF", "CCSA", ...
    group: str | None  # "ISG-QKD", "SC 27", "QNWG", "QIRG", "SG17", ...


def _group(pattern: str, template: str) -> tuple[re.Pattern[str], str]:
    return re.compile(pattern, re.IGNORECASE), template


# (body pattern, canonical name, [(group pattern, group template)]) - the first body that
# matches wins, so the more specific names come first (ISO/IEC JTC 1 before ISO and IEC).
_BODIES: tuple[tuple[re.Pattern[str], str, tuple[tuple[re.Pattern[str], str], ...]], ...] = (
    (
        re.compile(r"\biso\s*/?\s*iec\s*/?\s*jtc\s*-?\s*1\b|\bjtc\s*-?\s*1\s*/\s*sc\b|\bsc\s*27\b",
                   re.IGNORECASE),
        "ISO/IEC JTC 1",
        (_group(r"\bsc\s*-?\s*(\d+)\b", "SC {0}"), _group(r"\bwg\s*-?\s*(\d+)\b", "WG {0}")),
    ),
    (
        re.compile(r"\bcen[- ]?(?:clc|cenelec)\b|\bcen\s*/\s*cenelec\b|\bcen and cenelec\b",
                   re.IGNORECASE),
        "CEN-CENELEC",
        (_group(r"\bjtc\s*-?\s*(\d+)\b", "JTC {0}"), _group(r"\bfg[- ]?(\w+)\b", "FG {0}")),
    ),
    (
        re.compile(r"\betsi\b|\bisg[- ]?qkd\b|\bisgqkd\b", re.IGNORECASE),
        "ETSI",
        (_group(r"\bisg[- ]?(qkd)\b|\bisg(qkd)\b", "ISG-QKD"), _group(r"\btc[- ]?(cyber)\b",
                                                                         "TC CYBER")),
    ),
    (
        re.compile(r"\bitu-?t\b|\btsb\b|\bstudy group\s*\d+|\bsg\s?1?\d\b", re.IGNORECASE),
        "ITU-T",
        (_group(r"\b(?:study group|sg)\s*(\d{1,2})\b", "SG{0}"),
         _group(r"\b(fg[- ]?\w+)\b", "{0}")),
    ),
    (re.compile(r"\bieee\b", re.IGNORECASE), "IEEE",
     (_group(r"\b(qnwg)\b", "QNWG"), _group(r"\b(p\d{3,5}(?:\.\d+)?)\b", "{0}"),
      _group(r"quantum networking working group", "QNWG"))),
    (re.compile(r"\birtf\b|\bqirg\b|quantum internet research group", re.IGNORECASE), "IRTF",
     (_group(r"\b(qirg)\b|quantum internet (research) group", "QIRG"),
      _group(r"\b(cfrg)\b", "CFRG"))),
    (re.compile(r"\bietf\b", re.IGNORECASE), "IETF",
     (_group(r"\b([a-z0-9]{2,12})\s+(?:wg|working group)\b", "{0}"),)),
    (re.compile(r"\bccsa\b|中国通信标准化协会", re.IGNORECASE), "CCSA",
     (_group(r"\btc\s*-?\s*(\d+)\b", "TC{0}"),)),
    (re.compile(r"\biec\b", re.IGNORECASE), "IEC",
     (_group(r"\btc\s*-?\s*(\d+)\b", "TC {0}"), _group(r"\bsc\s*-?\s*(\d+\w?)\b", "SC {0}"))),
    (re.compile(r"\biso\b", re.IGNORECASE), "ISO",
     (_group(r"\btc\s*-?\s*(\d+)\b", "TC {0}"),)),
    (re.compile(r"\b3gpp\b", re.IGNORECASE), "3GPP",
     (_group(r"\b((?:sa|ct|ran)\s*\d+)\b", "{0}"),)),
    (re.compile(r"\bgsma\b", re.IGNORECASE), "GSMA", ()),
    (re.compile(r"\bitu-?r\b", re.IGNORECASE), "ITU-R",
     (_group(r"\b(?:study group|sg|wp)\s*(\d\w?)\b", "SG{0}"),)),
    (re.compile(r"\bnist\b", re.IGNORECASE), "NIST", ()),
)  # fmt: skip

# In an e-mail domain or a display name, these labels name a body.
DOMAIN_HINTS = re.compile(
    r"(?<![a-z])(etsi|isgqkd|ieee|ietf|irtf|iec|iso|jtc1|ccsa|cencenelec|cen-clc|itu|3gpp|gsma)"
    r"(?![a-z])",
    re.IGNORECASE,
)


def find_body(text: str, exclude: str = "") -> Body | None:
    """The first body named in `text`, with its group when the same text names one.

    `exclude` is our own group's name: "ITU-T JCA-QKDN" is the addressee, not a source.

    >>> find_body("From: CEN-CLC/JTC 22 Quantum Technologies")
    Body(name='CEN-CENELEC', group='JTC 22')
    >>> find_body("To: ITU-T JCA-QKDN", exclude="JCA-QKDN") is None
    True
    >>> find_body("ITU-T Study Group 17 (Security), Question 15/17")
    Body(name='ITU-T', group='SG17')
    """
    if exclude:
        text = re.sub(rf"(?:\bitu-?t\s+)?{re.escape(exclude)}", " ", text, flags=re.IGNORECASE)
    best: tuple[int, Body] | None = None
    for pattern, name, groups in _BODIES:
        match = pattern.search(text)
        if match is None:
            continue
        group = None
        for group_pattern, template in groups:
            found = group_pattern.search(text)
            if found:
                group = template.format(*[g for g in found.groups() if g] or [""]).strip()
                group = group.upper() if group.islower() else group
                break
        if best is None or match.start() < best[0]:
            best = (match.start(), Body(name, group or None))
    return best[1] if best else None
