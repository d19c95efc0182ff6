"""The words that name each thing, in the languages participants write in (pure data).

Every pattern is matched against lower-cased text (see `reflector.classify.view`), so they are
written in lower case. Languages: English, French, Spanish, German, Russian, Chinese, Japanese,
Korean (plus a little Italian, Portuguese and Dutch where the word is the same job).
`language_of` names the language of a matched word for the reasons ("fr: 'inscription'").

    >>> bool(REGISTER.search("je souhaiterais m'inscrire"))
    True
"""

from __future__ import annotations

import re
import re._parser as sre_parse
from typing import Any


def _words(*alternatives: str) -> re.Pattern[str]:
    """One pattern for a word list: the alternatives that start at a word boundary (most
    Latin and Cyrillic words) are tried only where a word starts, the others (Chinese,
    Japanese, Korean) wherever their first character is; the matches are the same."""
    branches = [b for a in alternatives for b in _top_level_branches(a)]
    words = [b for b in branches if _at_word_start(b)]
    others = [b for b in branches if not _at_word_start(b)]
    groups = [
        pattern
        for pattern in (
            rf"\b{_led('|'.join(f'(?:{a})' for a in words))}" if words else "",
            _led("|".join(f"(?:{a})" for a in others)) if others else "",
        )
        if pattern
    ]
    compiled = re.compile(groups[0] if len(groups) == 1 else "|".join(f"(?:{g})" for g in groups))
    UNLED[compiled.pattern] = "|".join(f"(?:{a})" for a in alternatives)
    return compiled


def _top_level_branches(pattern: str) -> list[str]:
    """`pattern` cut at its top-level "|" (not inside groups or classes, not escaped)."""
    branches, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1  # "[]...]": a "]" first in a class is a literal
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            branches.append(pattern[start:i])
            start = i + 1
        i += 1
    branches.append(pattern[start:])
    return branches


def _at_word_start(pattern: str) -> bool:
    """Every match of `pattern` starts with `\\b` (so a `\\b` in front changes nothing)."""
    try:
        return _starts_at_boundary(list(sre_parse.parse(pattern)))
    except re.error:
        return False


def _starts_at_boundary(items: list[Any]) -> bool:
    if not items:
        return False
    op, av = items[0]
    if str(op) == "AT":
        return str(av) == "AT_BOUNDARY"
    if str(op) == "BRANCH":
        return all(_starts_at_boundary(list(branch)) for branch in av[1])
    if str(op) == "SUBPATTERN":
        return _starts_at_boundary(list(av[-1]))
    return False


def fast(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern)`, led by a look-ahead for the characters a match can start with.

    The same matches, about three times sooner: the engine rejects most positions of a text
    with one character test instead of trying every alternative of a long word list there.

    >>> fast(r"\\bregist(?:er|ration)|报名").pattern
    '(?=[r报])(?:\\\\bregist(?:er|ration)|报名)'
    """
    compiled = re.compile(_led(pattern, flags), flags)
    UNLED[compiled.pattern] = pattern
    return compiled


# accelerated pattern -> the same pattern without its look-ahead and leading \b (for the test
# that they match alike)
UNLED: dict[str, str] = {}


def _led(pattern: str, flags: int = 0) -> str:
    chars = first_chars(pattern, flags)
    if not chars:
        return pattern
    lead = "".join(re.escape(c) for c in sorted(chars))
    return f"(?=[{lead}])(?:{pattern})"


def first_chars(pattern: str, flags: int = 0) -> set[str] | None:
    """Every character a match of `pattern` can begin with; None when that is not known
    (a class like \\w, any character, or a pattern that can match the empty string).

    >>> sorted(first_chars(r"\\b(?:pre-?)?regist|inscri|(?:a|b)?c") or [])
    ['a', 'b', 'c', 'i', 'p', 'r']
    """
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error:
        return None
    found = _first(list(parsed))
    if found is None or found[1]:
        return None
    chars = found[0]
    if flags & re.IGNORECASE:
        chars = chars | {c.upper() for c in chars} | {c.lower() for c in chars}
    return chars


def _first(items: list[Any]) -> tuple[set[str], bool] | None:
    """(first characters, can be empty) of a parsed sequence; None when unknown."""
    chars: set[str] = set()
    for op, av in items:
        one = _first_item(str(op), av)
        if one is None:
            return None
        chars |= one[0]
        if not one[1]:
            return chars, False
    return chars, True


def _first_item(op: str, av: Any) -> tuple[set[str], bool] | None:
    if op == "LITERAL":
        return {chr(av)}, False
    if op in ("AT", "ASSERT", "ASSERT_NOT"):
        return set(), True
    if op == "IN":
        chars = set()
        for kind, value in av:
            if str(kind) == "LITERAL":
                chars.add(chr(value))
            elif str(kind) == "RANGE" and value[1] - value[0] < 512:
                chars |= {chr(c) for c in range(value[0], value[1] + 1)}
            else:
                return None
        return chars, False
    if op == "BRANCH":
        results = [_first(list(branch)) for branch in av[1]]
        if any(r is None for r in results):
            return None
        known = [r for r in results if r is not None]
        return set().union(*(r[0] for r in known)), any(r[1] for r in known)
    if op == "SUBPATTERN":
        return _first(list(av[-1]))
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        inner = _first(list(av[2]))
        return None if inner is None else (inner[0], av[0] == 0 or inner[1])
    return None


# (pre-)registering for a meeting
REGISTER = _words(
    r"\b(?:pre-?|late\s+)?regist(?:er|ered|ering|ration|rations)\b",
    r"\bsign(?:ing)? (?:me|us|up)\b",
    r"\binscri(?:ption|re|vez|ptions|s|t|te)\b",  # fr
    r"\bm'inscrire\b|\bl'inscrire\b|\bles inscrire\b|\bnous inscrire\b",
    r"\binscrip(?:ción|cion|ciones)\b|\binscribir(?:me|nos|le|les)?\b|\binscrito\b",  # es
    r"\bregistr(?:o|ar|arme|arnos|en|e|ados?)\b|\bregístre(?:me|nos)\b",
    r"\banmeld\w*|\bmelde\w* \w+ (?:\w+ )?an\b|\bmelden (?:wir|uns|mich)\b|\bregistrierung\b",  # de
    r"регистрац\w*|зарегистр\w*",  # ru
    r"报名|注册|登记|參加登記|报到|報名|註冊|登記",  # zh
    r"参加登録|参加申込|登録|申し込",  # ja
    r"등록|참가\s*신청|참석\s*신청",  # ko
    r"\biscrizion[ei]\b|\biscriver(?:mi|ci|e|li|la|lo)\b|\bregistrazion[ei]\b",  # it
    r"\brejestracj\w*|\bzarejestrow\w*",  # pl
    r"\baanmeld\w*|\binschrijv\w*|\bregistreren\b|\bregistratie\b",  # nl
    r"\b(?:vor)?registrier\w*",  # de
    r"\bkayıt\w*|\bkayd\w+",  # tr
    r"đăng ký",  # vi
    r"تسجيل",  # ar
    r"\binscri(?:ção|ções|cao|coes)\b|\binscrever(?:-me|-nos)?\b|\bregisto\b",  # pt
)
# a request (not a question, not news): "please register me", "je souhaiterais m'inscrire"
REGISTER_REQUEST = _words(
    r"\b(?:please|pls|plz|kindly|could you|can you|would you)\s+(?:(?:also|pls|plz|please"
    r"|kindly|just)\s+)?(?:pre-?)?register\b"
    r"(?!\s+(?:it|this|these|the (?:document|contribution|input|file|paper)|our (?:contribution"
    r"|input|document)))",
    r"\b(?:i|we)(?:\s+would|'d)\s+like\s+to\s+(?:pre-?)?register\b",
    r"\b(?:i|we)\s+(?:want|wish)\s+to\s+(?:pre-?)?register\b",
    r"\b(?:pre-?)?register (?:me|us|the following|my colleague|him|her|them|both|all)\b",
    r"\bregistration (?:request|form)\b|\brequest(?:ing)? (?:the )?registration\b",
    r"\bsign (?:me|us) up\b",
    r"\b(?:m'|l'|les |nous )inscrire\b|\bje souhaite\w* (?:m'|vous )inscri|\bmerci d'inscrire\b",
    r"\binscribirme\b|\binscribirnos\b|\binscribir a\b|\bsolicit\w* (?:la )?inscripci",
    r"\bregistren(?:me|nos)\b|\bregistren a\b|\bregístre(?:me|nos)\b|\bquisiera registrar",
    r"\bmelde\w* (?:\w+ ){0,2}(?:mich|uns)\b.{0,80}\ban\b|\bbitte (?:melden|registrieren)\b"
    r"|\bmöchte\w* (?:mich|uns) (?:an|registr)"
    r"|\bmöchte\w* (?:ich|wir) (?:mich|uns) (?:\w+ ){0,8}?(?:anmelden|(?:vor)?registrieren)\b",
    r"прошу\s+(?:\w+\s+){0,2}зарегистр|зарегистрируйте|хоч\w+\s+зарегистр",
    r"希望报名|申请报名|请.{0,6}报名|报名参加|我要报名|注册参加|特此报名|现报名|在此报名|现申请参加",
    r"請.{0,6}報名|協助報名|報名參加|申請報名|特此報名",
    r"\b(?:pls|plz|please) reg(?:ister)? (?:me|us)\b|\breg (?:me|us) for\b",
    r"\b(?:please|pls|could you|can you|would you)\s+(?:\w+\s+)?sign\s+(?:up|\w+\s+up)\b"
    r"|\bsign up (?:\w+ ){0,3}(?:people|participants|colleagues|delegates|members)\b",
    r"\bnominat(?:e|es|ing) (?:the following|our|\w+) (?:\w+ )?(?:delegates?|participants?"
    r"|experts?|representatives?)\b",
    r"\bproszę o (?:za)?rejestr\w*|\bproszę (?:za)?rejestrow\w*",  # pl
    # nl
    r"\b(?:mij|ons|hem|haar) (?:\w+ )?(?:kunnen |graag |willen )?aanmelden\b|\bgraag aanmelden\b",
    r"\bkayd\w* (?:\w+ ){0,2}rica ederim\b|\bkayıt (?:olmak|yaptırmak) istiyorum\b",  # tr
    r"xin đăng ký|đề nghị đăng ký|muốn đăng ký",  # vi
    # "can you add Tomás as well?": someone else, added to those registered
    r"\b(?:please|pls|could you|can you|would you)\s+(?:\w+\s+)?add\s+\w+(?:\s+\w+)?\s+"
    r"(?:as well|too)\b",
    r"تسجيلي|أرجو\s+(?:\S+\s+){0,2}تسجيل",  # ar
    r"参加登録(?:を)?(?:お願い|いただ|させ|し|を希望)|登録(?:を)?お願い|参加を申し込",
    r"등록을?\s*(?:요청|신청|부탁|원합)|참가\s*신청|참석\s*신청|등록\s*신청",
    r"\b(?:vorrei|vorremmo|desidero|desideriamo|chiedo di) (?:\w+ ){0,2}(?:registrar|iscriver)\w*"
    r"|\biscrivetemi\b|\bregistratemi\b|\b(?:vi )?preg(?:o|hiamo) di (?:registrar|iscriver)",
    r"\bgostar(?:ia|íamos) de (?:\w+ ){0,2}(?:inscrever|registrar)\w*|\bsolicito a inscri"
    r"|\binscrevam-me\b|\bregistrem-me\b|\bpeço (?:a )?(?:inscrição|registo)",  # pt
    # "please add me", "put my name down for", "book me a seat" (not "add me to the list(s)")
    r"\b(?:please|kindly|could you|can you|would you)\s+(?:\w+\s+)?(?:add|include|put|book)\s+"
    r"(?:me|us|my name|our names|him|her|them)\b(?!\s+(?:to|on|in|into)\s+(?:the\s+|your\s+"
    r"|this\s+|our\s+)?(?:mailing|distribution|e-?mail|reflector|cc|loop|copy|touch"
    r"|list\b(?!\s+(?:for|of (?:participants|attendees|delegates)))))",
    r"\bput (?:my|our|his|her|their) names? down\b|\bbook (?:me|us) (?:a|in)\b",
    r"\b(?:add|include|put) (?:me|us|him|her|them) (?:to|on) the (?:list of )?(?:participants"
    r"|attendees|delegates|attendance list|participant list)",
    r"\bajoutez-moi\b|\bajouter (?:mon nom|mon collègue|ma collègue) à la liste des participants"
    r"|\bañád(?:an|anme)\b|\bagréguen(?:me|nos)\b|\binclúyan(?:me|nos)\b|\bapúnten(?:me|nos)\b"
    r"|\btragen sie (?:mich|uns) (?:\w+ ){0,3}ein\b|\bnehmen sie (?:mich|uns) (?:\w+ ){0,3}auf\b",
)
# how someone attends
_REMOTE_WORDS = (
    r"\bremote(?:ly)?\b|\bonline\b|\bvirtual(?:ly)?\b|\bvia (?:zoom|webex|teams)\b",
    r"\bvideo ?conferenc\w*|\bvisio(?:conférence|conference)?\b|\bvideoconferencia\b"
    r"|\bvideokonferenz\w*|\bweb ?conference\b|\bdial(?:ling)?[- ]in\b"
    r"|\b(?:zoom|webex|teams|dial-in) (?:link|details|invitation|access)\b",
    r"\bà distance\b|\ben ligne\b|\bdistanciel\b",
    r"\bremot[ao]\b|\ben línea\b|\ba distancia\b|\bvirtual\b",
    r"\bonline-teilnahme\b|\bvirtuell\w*|\bper video\b|\bfernteilnahme\b|\bzuschalt\w*"
    r"|\bschalte\w* (?:\w+ ){0,3}zu\b",
    r"дистанционн\w*|удал[её]нн\w*|онлайн|по видеосвязи",
    r"远程|线上|在线参会|视频参会|网络参会|遠端|線上|視訊",
    r"リモート|オンライン",
    r"원격|온라인|화상",
    r"\bzdalnie\b|\bzdaln\w+|عن\s*بُ?عد|افتراضي",  # pl, ar
    r"\bçevrim ?içi\b|\buzaktan\b|trực tuyến",  # tr, vi
    r"\bda remoto\b|\bin remoto\b|\ba distanza\b|\bremotamente\b|\bà distância\b"
    r"|\ba distância\b|\bpor videoconferência\b|\bin videoconferenza\b",
    r"\bover (?:the )?(?:online|video|zoom|webex|teams) (?:link|connection|bridge|session)\b"
    r"|\b(?:join|follow|attend|participate|connect)\w* (?:\w+ ){0,4}from (?:my|our|his|her|the)"
    r" (?:office|home|lab|desk)\b|\blisten in\b",
)
_IN_PERSON_WORDS = (
    r"\bin[- ]person\b|\bon[- ]?site\b|\bphysically\b|\battend in (?:seoul|geneva|the room)\b",
    r"\ben présentiel\b|\bprésentiel\b|\bsur place\b|\ben personne\b",
    r"\bpresencial(?:mente)?\b|\ben persona\b",
    r"\bvor ort\b|\bpersönlich\b|\bin präsenz\b|\bpräsenz(?:teilnahme)?\b",
    r"\bочн(?:о|ое|ый|ого|ом|ому|ая|ой|ую)\b|\bлично\b",
    r"现场|线下|到场|亲自参加|現場|親自",
    r"対面|現地参加|会場参加|現地",
    r"현장|대면|직접\s*참석",
    r"\bin presenza\b|\bdi persona\b|\bpresencialmente\b|\bpessoalmente\b",
    r"\bosobiście\b|\bstacjonarnie\b|حضوري|شخصيا",  # pl, ar
    r"\byüz yüze\b|\bbizzat\b|trực tiếp",  # tr, vi
    r"\bin the room\b|\btravel(?:l?ing)? to (?:seoul|geneva|gen[eè]v[ea]|the meeting)\b"
    r"|\bfly(?:ing)? (?:in )?to (?:seoul|geneva)\b|\bsee you in (?:seoul|geneva)\b",
)
REMOTE = _words(*_REMOTE_WORDS)
IN_PERSON = _words(*_IN_PERSON_WORDS)
_MODE = "(?:" + "|".join(_REMOTE_WORDS + _IN_PERSON_WORDS) + ")"

# changing or cancelling an existing registration
CHANGE = _words(
    r"\bchange (?:my|our|the|his|her) (?:registration|participation|mode)\b",
    r"\b(?:switch|move|update) (?:my|our) (?:registration|participation)\b",
    r"\bmodifier (?:mon|mon mode|ma) (?:inscription|participation)\b",
    r"\bcambiar (?:mi|la) (?:inscripción|modalidad|participación)\b",
    r"\b(?:änder\w*|umstell\w*) (?:meine\w*|die) (?:anmeldung|teilnahme)\b",
    r"измен\w* (?:мою |формат )?(?:регистрац|участи)",
    r"更改.{0,4}(?:报名|注册|参会方式)|修改.{0,4}(?:报名|注册)",
    r"登録(?:内容)?(?:を)?変更|参加方法(?:を)?変更",
    r"등록\s*변경|참석\s*방식\s*변경",
    r"\bsubstitut\w+|\binstead of me\b|\bin my place\b|\bà ma place\b|\ben mi lugar\b",
    r"\bin (?:his|her|their) (?:place|stead)\b|\bwill attend instead\b|\bis replaced by\b"
    r"|\bà sa place\b|\ben su lugar\b|\ben lugar de\b \w+ \w+ asistirá"
    r"|\ban (?:seiner|ihrer) stelle\b"
    r"|\bal (?:suo|mio) posto\b|\bno (?:meu|seu) lugar\b|\bsustituci\w+|\bsustituir\w*"
    r"|\bremplacement\b|\bsostitu\w+|\bsubstitui\w+|замен\w*|替换|代替|交代|교체",
    r"\b(?:alter|mud)\w* (?:a )?(?:minha|nossa) (?:inscrição|participação|modalidade)\b"
    r"|\b(?:modificare|cambiare) (?:la mia|la nostra|il mio) (?:iscrizione|partecipazione"
    r"|registrazione|modalità)\b",
    r"\b(?:anmeldung|teilnahme|registrierung)\b[^.?!;]{0,60}?\b(?:ändern|umstellen|umbuchen"
    r"|umändern)\b",
)
# a change of mode asked for, around the new mode's words: "switch me to | on-site",
# "me pueden pasar a participación | remota", "auf | Online | -Teilnahme ändern",
# "| オンライン | に変更"
_SWITCH_BEFORE = re.compile(
    r"(?:\b(?:switch|change|move|put|transfer|convert|update|turn|mark|set)\s+(?:me|us|him|her|them"
    r"|my|our|his|their)\b[^.?!;]{0,40}?\b(?:to|as|into|for|over)\s+[^.?!;]{0,20}?"
    r"|\b(?:me|nous|le|la|les)\s+(?:passer|basculer|mettre|transférer)\b[^.?!;]{0,30}?"
    r"|\b(?:passer|basculer|changer|modifier)\s+(?:mon|ma|notre|son|sa)\s+(?:inscription"
    r"|participation|mode)\b[^.?!;]{0,30}?|\bpasser\s+(?:en\s+|au\s+)?"
    r"|\b(?:pasar|cambiar|mover)(?:me|nos|le|la|lo)\b[^.?!;]{0,30}?"
    r"|\b(?:me|nos|le|la)\s+(?:pueden|podrían|podrian|puede|podría|podria)\s+(?:pasar|cambiar"
    r"|mover)\b[^.?!;]{0,30}?"
    r"|\b(?:pasar|cambiar)\s+(?:mi|nuestra|su)\s+(?:inscripción|participación|modalidad"
    r"|registro)\b[^.?!;]{0,30}?"
    r"|\bstell\w*\s+(?:sie\s+)?(?:mich|uns)\s+(?:\w+\s+){0,3}?auf\s+"
    r"|(?:перевести|переведите|измените|изменить|поменять|поменяйте|переключ\w+|переоформ\w+)"
    r"\s+(?:\w+\s+){0,4}?на\s+(?:\w+\s+)?"
    r"|(?:改为|改成|换成|换为|变更为|切换为|切换到|调整为|转为|改到)\s*)$"
)
_SWITCH_AFTER = re.compile(
    r"[\w-]*\s+(?:\w+\s+){0,2}(?:ändern|umstellen|umbuchen|wechseln|umändern|ummelden)\b"
    r"|(?:参加)?\s*(?:に|へ)\s*(?:変更|切り替え|切替|切り換え|変え)"
    r"|[^.?!]{0,8}?(?:으로|로)\s*(?:변경|전환|바꿔|바꾸)"
)


# the verbs of those phrases, found first: they are rarer than the words for a mode
_SWITCH_VERB = fast(
    r"\b(?:switch|change|move|put|transfer|convert|update|turn|mark|set)\s+(?:me|us|him|her|them"
    r"|my|our|his|their)\b|\b(?:passer|basculer|mettre|transférer|changer|modifier)\b"
    r"|\b(?:pasar|cambiar|mover)(?:me|nos|le|la|lo)?\b|\bstell\w*\s+(?:sie\s+)?(?:mich|uns)\b"
    r"|перевести|переведите|измените|изменить|поменять|поменяйте|переключ|переоформ"
    r"|改为|改成|换成|换为|变更为|切换为|切换到|调整为|转为|改到"
)
_SWITCH_VERB_AFTER = fast(
    r"ändern|umstellen|umbuchen|wechseln|umändern|ummelden|変更|切り替え|切替|切り換え|変え"
    r"|변경|전환|바꿔|바꾸"
)


def change_asked(text: str) -> str | None:
    """The words that ask to change a registration or its mode, or None.

    >>> change_asked("could you switch me to on-site?"), change_asked("改为线上参会")
    ('switch me to on-site', '改为线上')
    >>> change_asked("can i still switch to in-person later?") is None
    True
    """
    m = CHANGE.search(text)
    if m:
        return m.group(0)
    for verb in _SWITCH_VERB.finditer(text):
        for pattern in (REMOTE, IN_PERSON):
            for mode in pattern.finditer(text, verb.start(), verb.end() + 100):
                window = text[max(0, mode.start() - 80) : mode.start()]
                before = _SWITCH_BEFORE.search(window)
                if before:
                    return window[before.start() :] + mode.group(0)
    for verb in _SWITCH_VERB_AFTER.finditer(text):
        for pattern in (REMOTE, IN_PERSON):
            for mode in pattern.finditer(text, max(0, verb.start() - 60), verb.start()):
                after = _SWITCH_AFTER.match(text, mode.end(), mode.end() + 40)
                if after:
                    return mode.group(0) + after.group(0)
    return None


CANCEL = _words(
    r"\bcancel(?:l?ing|l?ed|lation)?\b (?:my|our|the|his|her) (?:registration|participation)\b",
    r"\bcancel (?:it|me)\b|\bplease cancel\b|\bwithdraw (?:my|our) registration\b",
    r"\bannuler (?:mon|mon inscription|ma)\b|\bannulation de (?:mon|ma) inscription\b",
    r"\bcancelar (?:mi|la) inscripción\b|\banular (?:mi|la) inscripción\b",
    r"\bstornier\w*|\babmeld\w*|\bmeine anmeldung zurück",
    r"отмен\w* (?:мою |регистрац)",
    r"取消.{0,4}(?:报名|注册)|キャンセル|登録(?:を)?取り消|취소",
    r"\bremove me from the (?:list of )?(?:participants?|attendees?|attendance)\b|\btake me off the"
    r" (?:participant|attendee|attendance) list\b|\bcancel (?:my|our) attendance\b",
    r"\b(?:teilnahme|anmeldung)\b[^.?!]{0,60}\babsagen\b|\bstreichen sie (?:mich|uns)\b"
    r"|\bannuler (?:ma|notre) participation\b|\bretirer (?:mon nom|moi) de la liste\b"
    r"|\b(?:cancelar|anular) (?:mi|nuestra) participación\b",
    r"\b(?:mijn|onze) (?:registratie|inschrijving|aanmelding)\b[^.?!]{0,60}\bannuleren\b"
    r"|\bvan de deelnemerslijst (?:verwijderen|halen)\b|\bafmelden voor\b",
    r"\bannullare (?:la mia|la nostra) (?:iscrizione|partecipazione|registrazione)\b"
    r"|\bcancelar (?:a )?(?:minha|nossa) (?:inscrição|participação)\b",
)


def cancellation_asked(text: str) -> str | None:
    """The words that cancel a registration or a participation, or None ("please cancel" in
    a mail that does not speak of registering or taking part cancels nothing of ours)."""
    if REGISTER.search(text) or PARTICIPATION.search(text):
        found = CANCEL.search(text)
        return found.group(0).strip() if found else None
    return None


# "Seoul and online", "Séoul et en ligne": the meeting's format, not a person's mode
MEETING_FORMAT = fast(
    r"(?:\band\b|\bet\b|\by\b|\bund\b|\bи\b|[/／&]|\bor\b|\bou\b|\bo\b|\boder\b)\s*"
    r"(?:online|en ligne|en línea|онлайн|オンライン|온라인|线上)|\bhybrid\b"
)
# intent, not action: "would like to submit", "how to submit", "will register later"
INTENT = re.compile(
    r"(?:like to|want to|wish to|plan to|planning to|intend to|going to|how to|how do i|how can i"
    r"|will|could i|can i|should i|should we|may i)\s+(?:\w+\s+)?$"
)

# "not ... in person", "won't be able to travel": a mode word right after these is negated
NEGATION = fast(
    r"(?:\bnot|n't|\bno longer|\bunable to|\bcannot|\bne (?:pourrai|peux) pas|\bno (?:podré|puedo)"
    r"|\bnicht|\bkein\w*|\bне\b|不能|无法|できません|できない|못|않|\brather not|\bnão"
    r"|\bnon (?:potrò|posso|potremo))\W+(?:\w+\W+){0,4}$"
)
# where a clause ends: "I can't come in person, and I'll dial in" negates only the first mode
CLAUSE = re.compile(
    r"[,;.!?。，；！？]|\b(?:and|but|so|und|aber|sondern|et|mais|donc|pero|sino|и|но|а)\b"
)
# "очное присутствие не планируется", "in person is not possible": said after the mode
NOT_PLANNED = re.compile(
    r"\W*(?:\w+\W+){0,2}?(?:не планируется|не будет|не предусмотрен\w*|is not (?:planned|possible"
    r"|needed)|isn't (?:planned|possible)|won't be possible|is impossible|not planned"
    r"|n'est pas (?:prévue?|possible)|no (?:está|es) (?:previst[oa]|posible)"
    r"|ist nicht (?:geplant|möglich)|nicht geplant|不需要|不可能|予定はありません|예정이 없)"
)
# "in person instead of remotely": the mode after these is the one not wanted
INSTEAD = fast(
    r"(?:\binstead of|\brather than|\bau lieu d[e']|\ben lugar de|\ben vez de|\b(?:an)?statt"
    r"|\bвместо|而不是|ではなく|대신)\s*.{0,25}"
)
# "from in-person to remote": the mode after the arrow is the one wanted
MODE_CHANGE = fast(
    r"\b(?:from|de|von|с|da)\s+(.{2,30}?)\s+(?:to|à|a|auf|zu|на|para|in)\s+(.{2,30})"
)
# "オンラインから現地参加に", "원격에서 현장으로", "从线上改为现场": the mode after the marker
MODE_CHANGE_CJK = fast(r"から|에서|改为|改成|换成|转为")

# input documents
CONTRIBUTION = _words(
    r"\bcontributions?\b|\binput (?:document|contribution|paper)s?\b|\binputs?\b",
    r"\bsubmission\b|\bdraft (?:text|recommendation)\b",
    r"\bcontribution\b|\bdocument d'entrée\b",  # fr
    r"\bcontribuci(?:ón|on)(?:es)?\b|\bdocumento de entrada\b|\baportaci(?:ón|on)\b",  # es
    r"\bbeitr(?:ag|äge|ags)\b|\beingabe\b|\beingabedokument\b",  # de
    r"\bвклад\w*|\bдоклад\w*|входн\w+ документ",  # ru
    r"文稿|提案|输入文件|文件提交",  # zh
    r"寄書|入力文書",  # ja
    r"기고서?|입력\s*문서",  # ko
    r"\bcontribut[oi]\b|\bcontribui(?:ção|ções|cao)\b",  # it, pt
)
SUBMIT = _words(
    r"\b(?:please )?find attached (?:[\w-]+(?:'s|')? ){0,4}"
    r"(?:contribution|input|document|proposal|paper|submission|rev)",
    r"\battached (?:is|are|please find) (?:[\w-]+(?:'s|')? ){0,4}(?:contribution|input|document)",
    r"\b(?:submit|submits|submitting|send|sending|enclose)s? (?:\w+ ){0,3}"
    r"(?:contribution|input|document|proposal)",
    r"\b(?:here is|enclosed is|attached) (?:our|my|the) (?:contribution|input|document)",
    r"\bour (?:contribution|input)\b (?:to|for) (?:the )?(?:jca|meeting|\w+ meeting)",
    r"\bregister it as (?:a |an )?(?:\w+ )?(?:contribution|input)\b",
    r"\bci-joint (?:la |notre )?(?:contribution|document)|\bveuillez trouver ci-joint\b",
    r"\badjunt(?:o|amos|a) (?:la |nuestra )?(?:contribuci|documento)|\benviamos (?:la )?contribuci",
    r"\banbei (?:\w+ ){0,5}beitr|\bim anhang (?:\w+ ){0,3}beitr|\breichen (?:\w+ ){0,3}ein\b",
    r"(?:направля|высыла|представля|прилага|отправля)(?:ю|ем) (?:\w+ ){0,3}(?:вклад|документ"
    r"|доклад|предложени|редакци|верси)",
    r"现提交|提交.{0,20}文稿|附件.{0,10}文稿|随函附上.{0,20}(?:文稿|提案|文件)",
    r"寄書を提出|寄書を送付|提出いたします|(?:文書|寄書|資料|改訂版|修正版)を(?:添付にて|添付で)?"
    r"(?:送付|提出|お送り)",
    r"기고서?를?\s*(?:\S+\s*){0,3}(?:송부|제출)|첨부와 같이",
    r"(?:문서|수정본|개정본)을?\s*(?:\S+\s*){0,2}(?:송부|제출|보내)",
)
# "please find attached", "во вложении", "anbei": sends the attached file (counts only with one)
SENDS_FILE = _words(
    r"\b(?:please )?find (?:\w+ ){0,4}(?:attached|enclosed)\b|\battached (?:please find|you will"
    r" find|is|are)\b|\b(?:i|we)(?:'m|'re| am| are) (?:sending|attaching|enclosing)\b"
    r"|\b(?:i|we) (?:attach|enclose|send you|hereby send)\b|\bherewith\b|\benclosed (?:is|are)\b",
    r"\bci-jointe?s?\b|\ben pièce jointe\b|\ben pj\b|\b(?:je|nous) vous (?:transmet\w*|envo\w+"
    r"|adress\w+|fai\w+ parvenir)\b",
    r"\badjunt(?:o|amos|a|as|os)\b|\b(?:les|le) (?:envío|remito|hago llegar|enviamos|remitimos)\b"
    r"|\ben (?:el )?(?:archivo )?adjunto\b",
    r"\banbei\b|\bim anhang\b|\bbeigefügt\w*|\banliegend\w*|\bin der anlage\b|\bübersende\w*"
    r"|\bübermittle\w*|\b(?:sende|schicke) (?:ich|wir) ihnen\b",
    r"\b(?:направля|высыла|прилага|отправля)(?:ю|ем)\b|\bво вложении\b|\bв приложении\b",
    r"附件|随函附上|现提交|特此提交|请查收",
    r"添付|送付いたします|送付します|お送りします|提出いたします|提出します",
    r"첨부|송부|보내\s?드립니다|제출합니다|제출드립니다",
    r"\bin allegato\b|\ballego\b|\balleghiamo\b|\bvi (?:invio|inviamo|trasmetto)\b"
    r"|\bem anexo\b|\bsegue(?:m)? (?:em )?anexo\b|\bencaminho\b|\benvio (?:em )?anexo\b",
)
# what a sent file is called when it is a document for a meeting (not an invoice, a form, a scan)
DOCUMENT_NOUN = _words(
    r"\b(?:documents?|papers?|slides|presentation|proposals?)\b",
    r"\b(?:proposition|présentation)\b",
    r"\b(?:documentos?|propuesta|presentación)\b",
    r"\b(?:dokument\w*|vorschlag|präsentation)\b",
    r"документ|доклад|предложени|презентаци",
    r"文件|文档|提案|文書|資料|문서|자료|제안",
)
REVISED = _words(
    r"\brev(?:ision)?\.?\s*\d+\b|\brevised\b|\brévisée?\b|\brevisad[ao]\b|\büberarbeitet\w*",
    r"\bneue fassung\b|\bnouvelle version\b|\bupdated version\b|\breplaces the version\b"
    r"|\b(?:new|second|third|corrected|amended) (?:version|draft|revision)\b",
    r"\bversion (?:mise à jour|modifiée|corrigée)\b|\b(?:deuxième|seconde|troisième) version\b",
    r"\b(?:nueva|segunda|tercera) versión\b|\bversión (?:actualizada|corregida|modificada)\b",
    r"\b(?:aktualisierte|revidierte|zweite|korrigierte) (?:fassung|version)\b",
    r"(?:втор|трет|нов|исправленн|обновл[её]нн|пересмотренн|доработанн)\w* (?:редакци|верси)\w*",
    r"修订|修改稿|修改版|更新版|第二版|改訂|改版|修正版|第2版|수정본|개정|수정안|수정\s*버전",
)
REVISION_NUMBER = fast(
    r"(?:\brev(?:ision)?\.?\s*|[-_ ]r|révision\s*|revisión\s*)(\d{1,2})(?![\d])", re.IGNORECASE
)

# liaison statements
LIAISON = _words(
    r"\bliaison statements?\b|\bliaison\b|\breply ls\b",
    r"\bdéclaration de liaison\b|\bnote de liaison\b",
    r"\bdeclaración de enlace\b|\bcomunicación de enlace\b",
    r"\bverbindungserklärung\b|\bliaison-erklärung\b",
    r"заявлени\w+ о связи|письм\w+ о взаимодействии|связное письмо",
    r"联络函|联络声明|联络信",
    r"リエゾン(?:文書|ステートメント)?",
    r"연락\s*문서|리에종",
)
# purpose of a liaison statement (For:)
FOR_VALUES = {
    "action": _words(
        r"\baction\b|\bpour action\b|\bpara (?:su )?acción\b|\bzur (?:bearbeitung|aktion)\b",
        r"для (?:принятия мер|действий)|请采取行动|采取行动|要求采取|対応|アクション|조치",
    ),
    "comment": _words(
        r"\bcomments?\b|\bpour commentaires?\b|\bpara comentarios?\b|\bzur stellungnahme\b",
        r"для (?:комментари|замечаний)|征求意见|请提意见|意见征询|コメント|의견",
    ),
    "information": _words(
        r"\binformation\b|\binfo\b|\bpour information\b|\bpara información\b|\bzur kenntnis\w*",
        r"для (?:сведения|информации)|供参考|供参阅|通报|参考|情報提供|ご参考|참고|정보\s*제공",
    ),
}

# other intents
QUESTION = fast(
    r"\?|？|¿|\bcould you (?:please )?(?:clarify|tell|confirm|let me know)\b|\bi wonder\b"
    r"|\bis there\b|\bare there\b|\bdo (?:we|i|you)\b|\bshould (?:we|i)\b|\bhow (?:do|can|to)\b"
    r"|吗|请问|能否|是否可以|可否|か。|까요|나요"
)
# "could you add me to the list for the Seoul session?": a request put as a question
POLITE_REQUEST = _words(
    r"\b(?:could|can|would|will) you (?:please |pls |plz |kindly )?(?:also )?(?:add|include|put"
    r"|register"
    r"|sign|book|reserve|enrol+|record|note|change|switch|move|update|cancel|remove|forward"
    r"|circulate|upload|post|share|process|accept|file|send|confirm receipt)\b",
    r"\b(?:pourriez|pouvez)-vous (?:\w+ ){0,2}(?:inscrire|ajouter|enregistrer|modifier|annuler"
    r"|transmettre|diffuser|envoyer)\b",
    r"\b(?:podría|podrían|pueden|puede)n? (?:\w+ ){0,2}(?:inscribir|registrar|añadir|agregar"
    r"|incluir|cambiar|anular|cancelar|reenviar|distribuir|enviar)\w*",
    r"\b(?:könnten|können|würden) sie (?:\w+ ){0,3}(?:anmelden|registrieren|eintragen"
    r"|hinzufügen|aufnehmen|ändern|stornieren|weiterleiten|verteilen|schicken|senden)\b",
    r"\bне могли бы вы (?:\w+ ){0,2}(?:зарегистр|добав|включ|измен|отмен|переслать|разослать"
    r"|отправ)",
)
# "Participation of Dr. Khoury - meeting 5": a subject word for taking part
PARTICIPATION = _words(
    r"\bparticipation\b|\battendance\b|\bdelegation\b|\bnominations?\b|\bdelegates\b"
    r"|\bparticipants\b"
    r"|\bparticipaci[oó]n\b|\bteilnahme\b|\bучасти\w*"
    r"|\bpartecipazione\b|\bparticipação\b|参会|出席|参加|참석|참가",
)
# files people send that are not documents for the meeting
NOT_AN_INPUT = _words(
    r"\b(?:invoice|bill|(?<!confirm )(?<!acknowledge )receipt|passport|visa|ticket|itinerary"
    r"|booking|reservation|hotel"
    r"|agenda|cv|résumé|resume|certificate|payment|quote|quotation)s?\b",
    r"\b(?:facture|reçu|passeport|billet|réservation|ordre du jour)\b|\bfactura\b|\brecibo\b"
    r"|\bpasaporte\b|\breserva\b|\brechnung\b|\bquittung\b|\breisepass\w*|\bbuchung\b"
    r"|\btagesordnung\b|сч[её]т|паспорт|квитанц|бронир|повестк|发票|护照|收据|议程|請求書|領収書"
    r"|パスポート|議事次第|영수증|청구서|여권|의제",
)
# "do we need to register?", "is registration required?": asks whether, not to
NEED_TO = _words(
    r"\b(?:need|have|required|necessary|obliged) to (?:pre-?)?register\b"
    r"|\bregistration (?:is )?(?:required|necessary|needed|mandatory)\b"
    r"|\bmust (?:i|we|they|participants) (?:pre-?)?register\b",
)
ALREADY_REGISTERED = _words(
    r"\b(?:am|are|is|was) (?:already )?registered\b|\balready registered\b",
    r"\bdéjà inscrit|\bya estoy inscrit|\bbereits angemeldet|\bschon angemeldet",
    r"уже зарегистр|已经报名|已报名|已經報名|已報名|已註冊|已注册|登録済み|이미 등록",
)
NOT_YET = _words(
    r"\bwill (?:send the |do the )?register\w*\b.{0,40}\b(?:once|when|after|if)\b",
    r"\bbefore (?:we|i) register\b|\bwill register (?:himself|herself|themselves)\b",
    r"\bhow (?:do|can|to) (?:i |we )?(?:register|submit)\b|\bhow to submit\b",
    r"\bbefore (?:registering|submitting)\b|\bavant de (?:m'|nous |vous )?inscri\w*|\bantes de "
    r"inscribir\w*|\bbevor (?:ich|wir) (?:mich |uns )?anmelde\w*|\bprima di iscriver\w*",
    r"\b(?:do|does|did|should|must) (?:i|we|you|they|\w+ participants?|\w+ people) (?:\w+ ){0,2}"
    r"(?:need|have) to (?:pre-?)?register\b|\bis (?:a |pre-?)?registration (?:\w+ )?(?:required"
    r"|necessary|needed|mandatory)\b",
)
ABSENCE = _words(
    r"\bapolog(?:y|ies|ise|ize)\b.{0,60}\b(?:absence|attend|not be able)\b",
    r"\b(?:unable|not be able|cannot|can't|won't be able) to (?:attend|join|participate)\b",
    r"\b(?:cannot|can't|can not|won't|will not) (?:attend|join|participate|make it|come)\b",
    r"\bne (?:pourrai|pourrons|peux) pas (?:assister|participer|venir)\b|\bno (?:podré|podremos"
    r"|puedo) (?:asistir|participar|ir)\b|\bnicht teilnehmen\b|\bnicht dabei\b",
    r"\bexcus(?:ed|é|ée)s?\b|\bentschuldig\w* (?:mich|uns)\b|\bне смогу\b|无法参加|不能参加|欠席"
    r"|参加できません|불참|참석하지 못",
    r"\b(?:none of us|nobody from \w+|no one from \w+) (?:\w+ ){0,2}(?:attend|join|participate"
    r"|make it|connect)\b|\bningun[oa] (?:\w+ ){0,4}podrá\w* (?:asistir|participar|conectarse|ir)\b"
    r"|\bno (?:podrá|podrán|podremos|podré) (?:asistir|participar|conectarse|ir|estar)\b",
    r"\bnon (?:potrò|potremo|posso) (?:partecipare|essere presente|esserci)\b"
    r"|\bnão (?:poderei|poderemos|posso|vou poder) (?:participar|acompanhar|estar presente"
    r"|comparecer|assistir)\b",
)
# a conference's call for papers: it asks for submissions, it makes none
CALL_FOR_PAPERS = _words(
    r"\bcall for (?:papers|abstracts|proposals|submissions|contributions|participation)\b|\bcfp\b"
    r"|\bcamera[- ]ready\b|\b(?:paper|abstract) submission(?: deadline)?\b|\bnotification of"
    r" acceptance\b",
    r"\bappel à (?:communications|contributions)\b|\bconvocatoria de (?:ponencias|artículos)\b"
    r"|\bcall for papers\b|\bприглашение к (?:подаче|участию)|征稿|論文募集|논문\s*모집",
)
# Outlook's "recall" of an earlier message: nothing in it but the request
RECALL = _words(
    r"\bwould like to recall the message\b|\bmöchte die nachricht\b.{0,80}\bzurückrufen\b"
    r"|\bsouhaite rappeler le message\b|\bdesea recuperar el mensaje\b|\bотозвать сообщение\b"
    r"|撤回(?:邮件|郵件)|メッセージを取り消|메시지를 회수",
)
# a list server's moderation request about a held post (Mailman, Sympa)
MODERATION = _words(
    r"\brequires approval\b|\bawaits? (?:the )?moderator(?:'s)? approval\b"
    r"|\byour authori[sz]ation is requested\b|\bheld for (?:moderation|approval)\b"
    r"|\bpost by non-member\b"
    r"|\bmessage (?:is )?(?:being )?held\b|\bmoderation (?:request|queue)\b",
)
# an out-of-office reply, by its words (when its headers do not say so)
AWAY = _words(
    r"\b(?:i am|i'm|i will be) (?:currently )?(?:out of (?:the )?office|away from (?:the|my) "
    r"(?:office|desk)|on (?:annual |parental )?leave|travel+ing with limited)\b"
    r"|\bout of (?:the )?office (?:until|from|till)\b|\blimited access to (?:my )?e-?mail\b"
    r"|\bno access to (?:my )?e-?mails?\b|\bwill (?:respond|reply|get back to you) (?:to your "
    r"(?:e-?mail|message) )?(?:on|upon|after) my return\b",
    r"\babsente? du bureau\b|\ben congés?\b|\bfuera de la oficina\b|\bde vacaciones\b"
    r"|\bnicht im büro\b|\babwesend\b|\bim urlaub\b|\bfuori ufficio\b|\bfora do escritório\b",
    r"не в офисе|в отпуске|不在办公室|休假|不在にしております|不在です|부재중|휴가",
)
# a receipt or acknowledgement for something sent ("your liaison statement has been registered")
RECEIPT_NOTICE = _words(
    r"\breceipt of\b|\backnowledg(?:ement|ing) (?:of )?receipt\b|\bhas been (?:received"
    r"|registered|recorded|logged)\b|\bwe (?:have )?received your\b|\bconfirm(?:s|ation of) "
    r"receipt\b",
    r"\baccusé de réception\b|\bacuse de recibo\b|\beingangsbestätigung\b|\bwurde registriert\b"
    r"|подтвержд\w+ получени|получен\w* и зарегистрир|回执|已收到|受領|受け付けました|접수되었",
)
THANKS = _words(
    r"\bthank(?:s| you)\b|\bmerci\b|\bgracias\b|\bdanke\b|\bvielen dank\b|\bспасибо\b",
    r"谢谢|感谢|ありがとう|감사합니다|고맙습니다|\bgrazie\b|\bobrigad[oa]\b",
)
GREETING_TO_ALL = _words(
    r"\b(?:dear|hi|hello) (?:[\w-]+ )?(?:all|everyone|colleagues|members|participants)\b",
    r"\bchers collègues\b|\bbonjour à tous\b|\bhallo zusammen\b|\bliebe kolleg\w+",
    r"\bestimados colegas\b|\bhola a todos\b|\bуважаемые коллеги\b|各位|皆様|여러분",
    r"\b(?:cari|gentili) colleghi\b|\b(?:caros|prezados) colegas\b",
)
TO_SECRETARIAT = _words(
    r"\b(?:dear|hello|hi) (?:\w+ )?secretariat\b|\bsecretariat\b",
    r"\bsecrétariat\b|\bsecretaría\b|\bsekretariat\b|\bсекретариат\w*|秘书处|事務局|사무국",
    r"\bsegreteria\b|\bsecretariado\b",
)
NEWSLETTER = _words(
    r"\bunsubscribe\s*(?::|here|from|at|link|<|https?)|\bto unsubscribe\b",
    r"\bclick\b.{0,20}unsubscribe",
    r"\bmanage (?:your )?subscription\b|\byou (?:receive|are receiving) this\b",
    r"\bnewsletter\b|\bview (?:it )?in (?:your )?browser\b|\bread online\b",
    r"\bcross-?posting\b|\bplease (?:forward|distribute|circulate) this (?:call|announcement"
    r"|invitation)\b",
    r"\bse désabonner\b|\bdarse de baja\b|\babbestellen\b|\bотписаться\b|退订|配信停止|수신\s*거부",
)
LURE = fast(
    r"\bshared (?:a file|a document|\"[^\"]{1,120}\") with you\b|\bhas shared\b"
    r"|\bshared .{0,80} with you\b|\bthis link will expire\b|\bverify your (?:account|mailbox)\b"
    r"|\bconfirm your (?:fee|payment|password|account)\b"
)
# list and bot commands, alone on the first line
COMMAND = re.compile(
    r"^\s*((?:un)?subscribe(?:\s+[\w.@-]+)?|help|info|who|digest\s+(?:on|off)|nodigest"
    r"|set\s+\w+(?:\s+\w+)?"
    r"|(?:approve|reject|discard|hold|release)(?:\s+#?\d+\b.{0,60})?"
    r"|reclassify(?:\s+\S+){0,4}|confirm\s+\S+|join|leave"
    r"|remove|resend\s+\S+|list|ack\s+\S+)\s*[.!]?\s*$"
)

ATTEND = _words(
    r"\b(?:i|we)(?: will| shall| would like to|'d like to| wish to| plan to| intend to"
    r"| want to|'ll|'m going to| am going to| are going to) (?:also )?(?:attend|participate|join"
    r"|take part|be there|be joining|be attending|dial in|connect|come)\b",
    r"\b(?:je|nous) participer(?:ai|ons)\b|\bparticiperai\b|\bje souhaite participer\b"
    r"|\b(?:je serai|nous serons) (?:présente?s?|là|des vôtres)\b|\bje me connecterai\b",
    r"\bparticiparé\b|\basistiré\b|\bparticiparemos\b|\bdeseo participar\b"
    r"|\b(?:allí|ahí) estaré\b|\bestaré presente\b|\bme conectaré\b|\basistiremos\b",
    r"\bnehme\w* \w+ (?:\w+ )?teil\b|\bwerde\w* \w+ (?:\w+ )?teilnehmen\b"
    r"|\b(?:ich bin|wir sind) dabei\b|\bich komme\b|\bschalte\w* (?:mich|uns) (?:\w+ ){0,3}zu\b",
    r"\bприму участие\b|\bбуду участвовать\b|\bпримем участие\b|\bбуду присутствовать\b"
    r"|\bподключусь\b|\bприеду\b",
    r"我将参加|我会参加|我们将参加|我将出席|我会出席|我会到场",
    r"参加します|出席します|参加いたします|参加予定です|出席いたします",
    r"참석하겠습니다|참석할 예정|참석합니다|참가하겠습니다|참여하겠습니다",
    r"\bparteciper(?:ò|emo)\b|\bsarò presente\b|\bparticiparei\b|\bparticiparemos\b"
    r"|\bestarei presente\b|\bvou participar\b",
    r"\b(?:he|she|they|(?:my|our) (?:colleague|manager|director|boss|team))(?: will| would like"
    r" to| wishes to| plans to| intends to|'ll|'d like to) (?:also )?(?:attend|participate|join"
    r"|take part|be there|come)\b",
    r"\b(?:would like|wish|wishes|plan|plans|intend|intends|hope|hopes) to (?:take part|attend"
    r"|participate|join) (?:in )?(?:the |our |your )?(?:\w+ ){0,3}(?:meeting|session|jca)",
    r"\b(?:i|we)(?:'ll| will) be (?:travel(?:l?ing)|flying|coming) to\b",
)
# said in answer to our announcement, these say "I will come" (elsewhere they may not)
ATTEND_INFORMAL = _words(
    r"\bcount (?:me|us) in\b|\bsee you (?:all )?(?:there|in|at)\b|\bi'm in\b|\bi'll be there\b"
    r"|\b(?:add|include|put) (?:me|us)\b(?! to (?:the |your |this )?(?:mailing|distribution"
    r"|e-?mail|reflector|list))",
    r"\bcomptez sur (?:moi|nous)\b|\bà bientôt à\b|\bajoutez-moi\b|\bj'en serai\b",
    r"\bcuent(?:en|a) conmigo\b|\bcuenten con nosotros\b|\bnos vemos en\b|\bapúntenme\b",
    r"\bbis (?:bald )?in\b|\bich bin dabei\b|\bnehmen sie mich auf\b|\btragen sie mich\b",
    r"\bрассчитывайте на (?:меня|нас)\b|\bдо встречи в\b|\bвключите меня\b|\bзапишите меня\b",
    r"算我一个|我也参加|请加上我|到时见",
    r"参加希望|参加させていただきます",
    r"저도 참석|참석 희망|거기서 뵙|그때 뵙",
)
# our meeting announcement (the subject it is answered under)
ANNOUNCEMENT = _words(
    r"\bannouncement\b|\bannonce\b|\banuncio\b|\bconvocatoria\b|\bankündigung\b|\beinladung\b",
    r"\bcall for participation\b|\binvitation\b|объявлени|приглашени|会议通知|开会通知|開催案内",
    r"会合案内|会議案内|회의\s*(?:공지|안내)|개최\s*안내",
    # our reminders ("Reminder: registration for meeting 5 closes on ...") are answered alike
    r"\breminder\b|\brappel\b|\brecordatorio\b|\berinnerung\b|\bpromemoria\b|\blembrete\b"
    r"|напоминани|提醒|リマインド|リマインダー|알림",
)
PERSON_FIELD = re.compile(
    r"^[ \t]*(name|full name|organi[sz]ation|affiliation|e-?mail|participation|mode|nom|organisme"
    r"|courriel|nombre|entidad|correo|modalidad|фио|организация|эл\. почта|формат участия|姓名"
    r"|单位|邮箱|参会方式|氏名|所属|参加方法|성명|소속|이메일|참석 방식)"
    r"[ \t]*(?:[:：][ \t]*|[ \t])",
    re.MULTILINE,
)
CONTRIBUTION_FILE = fast(
    r"contrib|input|proposal|beitrag|aporte|вклад|寄書|文稿|기고|(?:^|[-_ ])c-?\d{2,4}(?=[-_. ]|$)",
    re.IGNORECASE,
)
LS_TOKEN = fast(r"(?<![A-Za-z])LS(?![A-Za-z])")
_FOR_ACTION = (
    r"(?:for\s+|pour\s+|para\s+|zur\s+)?(?:action|comments?|commentaires?|comentarios?|acción"
    r"|stellungnahme|bearbeitung)\b|征求意见|采取行动|для (?:комментари|замечаний|принятия мер"
    r"|действий)|対応|コメント|조치|의견"
)
_FOR_VALUE = (
    _FOR_ACTION + r"|(?:for\s+|pour\s+|para\s+|zur\s+)?(?:information|información|kenntnis\w*)\b"
    r"|供参考|通报|для (?:сведения|информации)|情報提供|ご参考|정보\s*제공|참고"
)
# "For: Information" is an LS's; "Purpose: Information" heads contributions too, so a
# "Purpose:" line counts only when it asks for action or comment, or says "Purpose: For ..."
FOR_LINE = re.compile(
    rf"^[ \t]*(?:[^\W\d]{{1,6}}[ \t]+)?(?:for|pour|para|zur|目的)[ \t]*(?:[:：][ \t]*|[ \t]+)"
    rf"(?:{_FOR_VALUE})"
    rf"|^[ \t]*(?:purpose|objet|objeto|zweck|цель|목적)[ \t]*[:：]?[ \t]*(?:{_FOR_ACTION})"
    rf"|^[ \t]*purpose[ \t]*[:：][ \t]*for[ \t]+(?:{_FOR_VALUE})"  # the datatracker's form
    rf"|^[ \t]*(?:expected action|action expected|requested action|action requested)[ \t]*[:：]"
    rf"[ \t]*(?:for[ \t]+)?(?:{_FOR_VALUE}|info\b)",
    re.MULTILINE,
)
DEADLINE_LINE = re.compile(
    r"^[ \t]*(?:[^\W\d]{1,6}[ \t]+)?(?:deadline|reply by|please reply by|response deadline"
    r"|reply deadline|date limite|fecha límite|antwortfrist|frist|срок ответа|截止日期|回答期限"
    r"|회신 기한|마감)[ \t]*(?:[:：][ \t]*\S|\d)",
    re.MULTILINE,
)
LS_SENT = _words(
    r"\b(?:attached|enclosed|following|forward\w*|find|sends?|sending|transmit\w*) (?:\w+ ){0,3}"
    r"(?:liaison statement|ls)\b",
    r"\bliaison statement (?:from|to) \w|\breply (?:liaison|ls)\b|\byour ls\b|\bour ls\b",
    r"\bnew liaison statement\b|\bls (?:from|to) \w",
    r"ci-joint (?:une |la )?(?:déclaration|note) de liaison",
    r"adjunt\w+ (?:la )?declaración de enlace",
    r"随函附上.{0,40}联络|联络函|リエゾン文書を送付|연락\s*문서를?\s*송부",
)
QUESTION_SUBJECT = fast(
    r"^(?:questions?\b|query\b|q:|consulta\b|pregunta\b|frage\b|вопрос|问题|質問|문의|how to\b"
    r"|how do\b|is there\b|can i\b)|[?？]\s*$"
)
ROBOT_SENDER = fast(
    r"^(?:no-?reply|do-?not-?reply|donotreply|newsletter|news|digest|marketing|notifications?"
    r"|mailer|bounces?)[@+.-]"
)

# "es: 'inscripción'" in reasons: the language of a cue word, by script or by word
_SCRIPT = (
    (re.compile(r"[\u3040-\u30ff]|参加登録|申込|会合|寄書|登録|現地|対面|改訂|添付|送付"), "ja"),
    (re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
)
_LATIN = {
    "it": re.compile(r"\biscri|registrazion|in presenza|da remoto|in remoto|allegat|allego"
                     r"|contribut[oi]\b|partecip|riunione|grazie|aggiung"),
    "pt": re.compile(r"ção|ções|\banexo\b|presencialmente|pessoalmente|reunião|obrigad"
                     r"|inscrev|gostaria|à distância|não"),
    "fr": re.compile(r"inscri(?:ption|re|vez)|présentiel|à distance|en ligne|sur place|ci-joint"
                     r"|réunion|liaison de|contribution pour|commentaire|d'entrée|l'inscrire"
                     r"|pièce jointe|vous transm|comptez sur|serai|passer"),
    "es": re.compile(r"inscrip|inscrib|remot[ao]|en línea|presencial|contribuci|adjunt|reunión"
                     r"|comentario|acción|información|cuent[ae]n|estaré|remit|pasar|cambiar"),
    "de": re.compile(r"anmeld|melde|teilnahme|vor ort|beitr|anbei|sitzung|stellungnahme"
                     r"|kenntnis|persönlich|virtuell|dabei|übersend|anhang|fassung|schalte|zuschalt"
                     r"|ändern|umstell|videokonferenz"),
}  # fmt: skip


def language_of(word: str) -> str | None:
    """The language a cue word is written in, when it is not English (None for English).

    >>> language_of("inscription"), language_of("報名"), language_of("регистрация")
    ('fr', 'zh', 'ru')
    >>> language_of("registration") is None
    True
    """
    for pattern, code in _SCRIPT:
        if pattern.search(word):
            return code
    lowered = word.casefold()
    for code, pattern in _LATIN.items():
        if pattern.search(lowered):
            return code
    return None


def cue(word: str | None) -> str:
    """A cue word as shown in reasons: its language first when it is not English.

    >>> cue("anmeldung"), cue("register")
    ("de: 'anmeldung'", "'register'")
    """
    word = " ".join((word or "").split())[:60]
    language = language_of(word)
    return f"{language}: '{word}'" if language else f"'{word}'"
