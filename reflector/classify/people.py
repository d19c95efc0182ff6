"""Who a registration is for, and how each person attends (pure).

    people = find_people(view)   # [{"name", "email", "organisation", "mode"}, ...]

Where the people come from, in order:
1. an attached CSV with a name column (one row per person);
2. a list in the text: numbered or bulleted lines ("1. Kim Da-on - in person",
   "- Aiko Mori <a.mori@lab.example>"), two or more lines of a name and an address each (a
   table), or an indented block under the request;
3. "Name: / Organisation: / E-mail: / Participation:" lines, in any of our languages;
4. the author of a forwarded request ("please register him", "merci de l'inscrire");
5. the sender.
A value the message does not give stays None: an organisation is taken only from a field
that says it is one, or from a list line that names an organisation (Ltd, AG, University ...).
A mode comes from the person's own line, else from the whole text when it names one mode.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from reflector.classify.lexicon import (
    CLAUSE,
    IN_PERSON,
    INSTEAD,
    MEETING_FORMAT,
    MODE_CHANGE,
    MODE_CHANGE_CJK,
    NEGATION,
    NOT_PLANNED,
    REMOTE,
    change_asked,
)
from reflector.classify.view import MailView

Person = dict[str, Any]

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_ITEM = re.compile(
    r"^\s*(?:\d{1,2}\s*[.)．、]|[一二三四五六七八九十]{1,2}\s*、|[-–—•*·・])\s*([^\W\d_].*)$"
)
_FIELD = re.compile(r"^\s*([^\W\d][\w .'/-]{0,30}?)\s*[:：]\s*(.+)$|^\s*(name|nom|mode)\s+(\S.+)$",
                    re.IGNORECASE)  # fmt: skip
_KEYS = {
    "name": r"(?:full )?name|nom(?: complet)?|nombre(?: completo)?|vor- und nachname|фио|имя"
            r"|姓名|名前|氏名|성명|이름|participant|nome(?: completo)?|imię i nazwisko",
    # a table may split the name: "Cognome;Nome", "Last name,First name"
    "surname": r"surname|last name|family name|cognome|nom de famille|apellidos?|nachname"
               r"|фамилия|sobrenome|nazwisko",
    "given": r"first name|given name|prénom|vorname|nome proprio",
    "organisation": r"organi[sz]ation|affiliation|company|organisme|entidad|organización"
                    r"|institution|institución|firma|unternehmen|организация|单位|所属|소속|기관"
                    r"|ente|organizzazione|istituzione|instituição|instytucja",
    "email": r"e-?mail|courriel|correo(?: electrónico)?|mail|эл\.? ?почта|почта|邮箱|电子邮件"
             r"|メール(?:アドレス)?|이메일|전자우편",
    "mode": r"participation|mode(?: de participation| of participation)?|modalidad|teilnahme"
            r"|modalità|modalita|modalidade"
            r"|формат участия|участие|参会方式|参加方法|参加形態|참석 방식|참가 방식|attendance",
}  # fmt: skip
_KEY_RES = {key: re.compile(rf"^(?:{pattern})$", re.IGNORECASE) for key, pattern in _KEYS.items()}
_ORG_WORDS = re.compile(
    r"\b(?:ltd|limited|ag|gmbh|inc|corp|co|sa|sas|ab|oy|as|bv|b\.v|jsc|llc|plc|kk|university"
    r"|université|universidad|universität|institute|institut|instituto|lab|labs|laboratory"
    r"|laboratoire|networks?|telecom|communications|research|photonics|systems|quantum"
    r"|technologies|academy|center|centre)\b|大学|研究所|公司|株式会社|주식회사|연구소",
    re.IGNORECASE,
)
_NOT_NAME = re.compile(r"[:@/\\]|\bhttps?\b|\d{2,}|\?")
_PUNCTUATION = re.compile(r"[,;.!?。，、！？]")
_SENTENCE = re.compile(r"[.!?。！？;]\s")
_CSV_TYPES = ("text/csv", "text/comma-separated-values", "application/csv")


def mode_of(text: str) -> str | None:
    """The one mode `text` names ("remote" / "in-person"), or None when it names none or both.

    >>> mode_of("I won't be able to attend in person, so I'll join remotely")
    'remote'
    >>> mode_of("change my registration from in-person to remote participation")
    'remote'
    >>> mode_of("Seoul and online, 14 October; I will attend in person")
    'in-person'
    >>> mode_of("Seoul and online") is None
    True
    >>> mode_of("参加方法をオンラインから現地参加に切り替えて"), mode_of("从线上改为现场参会")
    ('in-person', 'in-person')
    """
    lowered = MEETING_FORMAT.sub(" ", " ".join(text.lower().split()))
    lowered = INSTEAD.sub(" ", lowered)
    asked = change_asked(lowered)  # "please change my participation to remote/online"
    if asked:  # the phrase, and what follows it in its sentence ("... to remote/online")
        at = lowered.find(asked)
        sentence = _SENTENCE.split(lowered[at : at + len(asked) + 80])[0]
        wanted = _one_mode(sentence) or _changed_to(sentence)
        if wanted:
            return wanted
    wanted = _changed_to(lowered)
    if wanted:
        return wanted
    for change in MODE_CHANGE_CJK.finditer(lowered):
        old = _PUNCTUATION.split(lowered[max(0, change.start() - 15) : change.start()])[-1]
        wanted = mode_of(_PUNCTUATION.split(lowered[change.end() : change.end() + 15])[0])
        if wanted and mode_of(old) not in (None, wanted):
            return wanted
    return _one_mode(lowered)


def _changed_to(lowered: str) -> str | None:
    """ "from in-person to remote", "de presencial para remota": the mode after the arrow."""
    change = MODE_CHANGE.search(lowered)
    if change:
        wanted = _one_mode(change.group(2))
        if wanted and _one_mode(change.group(1)) not in (None, wanted):
            return wanted
    return None


def _one_mode(lowered: str) -> str | None:
    found = set()
    for mode, pattern in (("remote", REMOTE), ("in-person", IN_PERSON)):
        for m in pattern.finditer(lowered):
            before = CLAUSE.split(lowered[max(0, m.start() - 40) : m.start()])[-1]
            if not NEGATION.search(before) and not NOT_PLANNED.match(lowered, m.end()):
                found.add(mode)
                break
    return found.pop() if len(found) == 1 else None


def _person(name: str | None, email: str | None, org: str | None, mode: str | None) -> Person:
    return {"name": name or None, "email": email or None, "organisation": org or None,
            "mode": mode}  # fmt: skip


def _clean_name(text: str) -> str | None:
    name = re.sub(r"\s+", " ", EMAIL.sub("", text)).strip(" \t,;:-–—<>[]\"'")
    if name.count("(") < name.count(")"):
        name = name.rstrip(")").strip()
    if name.count("(") > name.count(")"):
        name += ")"
    if not name or len(name) > 60 or _NOT_NAME.search(name) or len(name.split()) > 7:
        return None
    return name


def _from_line(line: str) -> Person | None:
    """A person from a list line: "Name (Native), Role/Org, email - mode"."""
    emails = EMAIL.findall(line)
    segments = [
        s.strip() for s in re.split(r"\s[-–—/|]\s|[,;，、；]|\t| {2,}|　", EMAIL.sub(" ", line))
    ]
    segments = [s for s in segments if s.strip(" ()<>")]
    if not segments:
        return _person(None, emails[0], None, mode_of(line)) if emails else None
    name = _clean_name(segments[0])
    if name is None or (mode_of(name) and len(name.split()) <= 3):
        return None
    org = next((s for s in segments[1:] if _ORG_WORDS.search(s) and not mode_of(s)), None)
    return _person(name, emails[0] if emails else None, org, mode_of(line))


def csv_people(view: MailView) -> list[Person]:
    for a in view.files:
        if not (a.content_type in _CSV_TYPES or a.filename.lower().endswith(".csv")):
            continue
        if a.size > 64_000:
            continue
        try:
            text = a.payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = a.payload.decode("latin-1")
        delimiter = max(";,\t", key=text.split("\n", 1)[0].count)
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        if len(rows) < 2:
            continue
        columns = {}
        for i, header in enumerate(rows[0]):
            for key, pattern in _KEY_RES.items():
                if pattern.match(header.strip()) and key not in columns:
                    columns[key] = i
        if "name" in columns and "surname" in columns and "given" not in columns:
            columns["given"] = columns.pop("name")  # "Cognome;Nome": the name is the given name
        if "name" not in columns and {"surname", "given"} <= columns.keys():
            rows = [[*r, f"{_cell(r, columns, 'given') or ''} {_cell(r, columns, 'surname') or ''}"]
                    for r in rows]  # fmt: skip
            columns["name"] = len(rows[0]) - 1
        if "name" not in columns:
            continue

        people = [
            _person(_cell(r, columns, "name"), _cell(r, columns, "email"),
                    _cell(r, columns, "organisation"), mode_of(_cell(r, columns, "mode") or ""))
            for r in rows[1:201]
            if _cell(r, columns, "name")
        ]  # fmt: skip
        if people:
            return people
    return []


def _cell(row: list[str], columns: dict[str, int], key: str) -> str | None:
    i = columns.get(key)
    return (row[i].strip() or None) if i is not None and i < len(row) else None


def _fields(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        m = _FIELD.match(line)
        if not m:
            continue
        key, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        for more in lines[i + 1 : i + 4]:  # a value continued on indented lines
            if not more[:1].isspace() or _FIELD.match(more):
                break
            value += " " + more.strip()
        for name, pattern in _KEY_RES.items():
            if pattern.match(key.strip()) and name not in found:
                found[name] = value.strip()
    return found


def _listed(text: str) -> list[Person]:
    """People from a numbered or bulleted list; an item goes on over the lines its mail client
    wrapped ("- Claire Dubois (c.d@x) - participation en" / "présentiel à Genève"), up to the
    next item or a blank line."""
    items: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        item = _ITEM.match(line)
        if item:
            current = None
            if not _FIELD.match(item.group(1)):
                current = item.group(1)
                items.append(current)
        elif current is not None and line.strip() and not _FIELD.match(line):
            current += " " + line.strip()
            items[-1] = current
        else:
            current = None
    return [person for entry in items if (person := _from_line(entry)) is not None]


def _address_lines(lines: list[str]) -> list[Person]:
    """People one to a line, each line a name and an address ("Dr. Sabine Kraus   s.k@x"):
    a table or an indented list; only when there are two or more."""
    people = []
    for line in lines:
        if len(EMAIL.findall(line)) == 1 and not _FIELD.match(line):
            person = _from_line(line.strip())
            if person is not None and person["email"]:
                people.append(person)
    return people if len({p["email"] for p in people}) >= 2 else []


def _indented_block(text: str) -> list[Person]:
    """A person written as an indented block: "  Name, Org" / "  email" / "  in person"."""
    block: list[str] = []
    for line in text.splitlines():
        if line.startswith(("  ", "\t")) and line.strip():
            block.append(line.strip())
        elif block:
            break
    if not block or not any(EMAIL.search(line) for line in block):
        return []
    person = _from_line(block[0])
    if person is None:
        return []
    joined = " ".join(block)
    emails = EMAIL.findall(joined)
    person["email"] = person["email"] or (emails[0] if emails else None)
    person["mode"] = person["mode"] or mode_of(joined)
    return [person]


def _forwarded_author(view: MailView) -> Person | None:
    for line in view.parts.forwarded.splitlines()[:12]:
        m = re.match(r"^\s*(?:from|de|von|от|发件人|差出人)\s*[:：]\s*(.+)$", line, re.IGNORECASE)
        if m and EMAIL.search(m.group(1)):
            email = EMAIL.search(m.group(1))
            assert email is not None
            return _person(_clean_name(m.group(1)), email.group(0), None, None)
    return None


_THIRD_PERSON = re.compile(
    r"\bregister (?:him|her|them)\b|\bl'inscrire\b|\binscribirl[oa]\b|\bihn anzumelden\b"
    r"|\bsie anzumelden\b|зарегистрир\w+ (?:его|её|ее)|为他报名|为她报名"
)


def find_people(view: MailView, text: str) -> list[Person]:
    """Each person to register, from `text` (the new and forwarded text, original case)."""
    own_lines = [line for line in text.splitlines() if line.strip()]
    overall = mode_of(text) or (None if view.replies_to_us else mode_of(view.topic))
    fields = _fields(own_lines)
    people = (
        csv_people(view)
        or _listed(text)
        or _address_lines([line for line in view.parts.own.splitlines() if line.strip()])
        or _indented_block(text)
    )
    if len(people) > 1 or (people and not fields):
        addresses = EMAIL.findall(fields.get("email", ""))
        if len(addresses) == len(people) and not any(p["email"] for p in people):
            for person, address in zip(people, addresses, strict=True):
                person["email"] = address
    elif fields.get("name") or fields.get("email"):
        emails = EMAIL.findall(fields.get("email", ""))
        people = [
            _person(
                _clean_name(fields.get("name", "")),
                emails[0] if emails else None,
                fields.get("organisation"),
                mode_of(fields.get("mode", "")),
            )
        ]
    elif _THIRD_PERSON.search(view.own) and (author := _forwarded_author(view)):
        people = [author]
    if not people:
        sender = view.message.from_
        people = [_person(sender.name if sender else None, sender.email if sender else None,
                          fields.get("organisation"), None)]  # fmt: skip
    sender = view.message.from_
    for person in people:
        person["mode"] = person["mode"] or overall
        if len(people) == 1 and sender and not person["email"] and _for_self(view):
            person["email"] = sender.email
            person["name"] = person["name"] or sender.name or None
    return people


def _for_self(view: MailView) -> bool:
    return not _THIRD_PERSON.search(view.own)
