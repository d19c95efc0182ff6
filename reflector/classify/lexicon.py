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
    return fast("|".join(f"(?:{a})" for a in alternatives))


def fast(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern)`, led by a look-ahead for the characters a match can start with.

    The same matches, about three times sooner: the engine rejects most positions of a text
    with one character test instead of trying every alternative of a long word list there.

    >>> fast(r"\\bregist(?:er|ration)|报名").pattern
    '(?=[r报])(?:\\\\bregist(?:er|ration)|报名)'
    """
    chars = first_chars(pattern, flags)
    if not chars:
        return re.compile(pattern, flags)
    lead = "".join(re.escape(c) for c in sorted(chars))
    return re.compile(f"(?=[{lead}])(?:{pattern})", flags)


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
    r"报名|注册|登记|參加登記|报到",  # zh
    r"参加登録|参加申込|登録|申し込",  # ja
    r"등록|참가\s*신청|참석\s*신청",  # ko
)
# a request (not a question, not news): "please register me", "je souhaiterais m'inscrire"
REGISTER_REQUEST = _words(
    r"\b(?:please|pls|plz|kindly|could you|can you|would you)\s+(?:also\s+)?(?:pre-?)?register\b"
    r"(?!\s+(?:it|this|these|the (?:document|contribution|input|file|paper)|our (?:contribution"
    r"|input|document)))",
    r"\b(?:i|we)(?:\s+would|'d)\s+like\s+to\s+(?:pre-?)?register\b",
    r"\b(?:i|we)\s+(?:want|wish)\s+to\s+(?:pre-?)?register\b",
    r"\b(?:pre-?)?register (?:me|us|the following|my colleague|him|her|them|both|all)\b",
    r"\bregistration (?:request|form)\b|\brequest(?:ing)? (?:the )?registration\b",
    r"\bsign (?:me|us) up\b",
    r"\b(?:m'|l'|les |nous )inscrire\b|\bje souhaite\w* (?:m'|vous )inscri|\bmerci d'inscrire\b",
    r"\binscribirme\b|\binscribirnos\b|\binscribir a\b|\bsolicit\w* (?:la )?inscripci",
    r"\bregistren(?:me|nos)? a?\b|\bregístre(?:me|nos)\b|\bquisiera registrar",
    r"\bmelde\w* (?:\w+ ){0,2}(?:mich|uns)\b.{0,80}\ban\b|\bbitte (?:melden|registrieren)\b"
    r"|\bmöchte\w* (?:mich|uns) (?:an|registr)",
    r"прошу\s+(?:\w+\s+){0,2}зарегистр|зарегистрируйте|хоч\w+\s+зарегистр",
    r"希望报名|申请报名|请.{0,6}报名|报名参加|我要报名|注册参加",
    r"参加登録(?:を)?(?:お願い|いただ|させ|し|を希望)|登録(?:を)?お願い|参加を申し込",
    r"등록을?\s*(?:요청|신청|부탁|원합)|참가\s*신청|참석\s*신청|등록\s*신청",
)
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
)
CANCEL = _words(
    r"\bcancel(?:l?ing|l?ed|lation)?\b (?:my|our|the|his|her) (?:registration|participation)\b",
    r"\bcancel (?:it|me)\b|\bplease cancel\b|\bwithdraw (?:my|our) registration\b",
    r"\bannuler (?:mon|mon inscription|ma)\b|\bannulation de (?:mon|ma) inscription\b",
    r"\bcancelar (?:mi|la) inscripción\b|\banular (?:mi|la) inscripción\b",
    r"\bstornier\w*|\babmeld\w*|\bmeine anmeldung zurück",
    r"отмен\w* (?:мою |регистрац)",
    r"取消.{0,4}(?:报名|注册)|キャンセル|登録(?:を)?取り消|취소",
)
# "Seoul and online", "Séoul et en ligne": the meeting's format, not a person's mode
MEETING_FORMAT = fast(
    r"(?:\band\b|\bet\b|\by\b|\bund\b|\bи\b|[/／&、]|\bor\b|\bou\b|\bo\b|\boder\b)\s*"
    r"(?:online|en ligne|en línea|онлайн|オンライン|온라인|线上)|\bhybrid\b"
)
# intent, not action: "would like to submit", "how to submit", "will register later"
INTENT = re.compile(
    r"(?:like to|want to|wish to|plan to|planning to|intend to|going to|how to|how do i|how can i"
    r"|will|could i|can i|should i|should we|may i)\s+(?:\w+\s+)?$"
)
# how someone attends
REMOTE = _words(
    r"\bremote(?:ly)?\b|\bonline\b|\bvirtual(?:ly)?\b|\bvia (?:zoom|webex|teams)\b",
    r"\bvideo ?conferenc\w*|\bvisio(?:conférence|conference)?\b|\bvideoconferencia\b"
    r"|\bvideokonferenz\b|\bweb ?conference\b",
    r"\bà distance\b|\ben ligne\b|\bdistanciel\b",
    r"\bremot[ao]\b|\ben línea\b|\ba distancia\b|\bvirtual\b",
    r"\bonline-teilnahme\b|\bvirtuell\b|\bper video\b|\bfernteilnahme\b",
    r"дистанционн\w*|удал[её]нн\w*|онлайн|по видеосвязи",
    r"远程|线上|在线参会|视频参会|网络参会",
    r"リモート|オンライン",
    r"원격|온라인|화상",
)
IN_PERSON = _words(
    r"\bin[- ]person\b|\bon[- ]?site\b|\bphysically\b|\battend in (?:seoul|geneva|the room)\b",
    r"\ben présentiel\b|\bprésentiel\b|\bsur place\b|\ben personne\b",
    r"\bpresencial(?:mente)?\b|\ben persona\b",
    r"\bvor ort\b|\bpersönlich\b|\bin präsenz\b|\bpräsenzteilnahme\b",
    r"\bочно\b|\bочное\b|\bлично\b",
    r"现场|线下|到场|亲自参加",
    r"対面|現地参加|会場参加|現地",
    r"현장|대면|직접\s*참석",
)
# "not ... in person", "won't be able to travel": a mode word right after these is negated
NEGATION = fast(
    r"(?:\bnot|n't|\bno longer|\bunable to|\bcannot|\bne (?:pourrai|peux) pas|\bno (?:podré|puedo)"
    r"|\bnicht|\bkein\w*|\bне\b|不能|无法|できません|できない|못|않)\W+(?:\w+\W+){0,4}$"
)
# "in person instead of remotely": the mode after these is the one not wanted
INSTEAD = fast(
    r"(?:\binstead of|\brather than|\bau lieu d[e']|\ben lugar de|\ben vez de|\b(?:an)?statt"
    r"|\bвместо|而不是|ではなく|대신)\s*.{0,25}"
)
# "from in-person to remote": the mode after the arrow is the one wanted
MODE_CHANGE = fast(r"\b(?:from|de|von|с)\s+(.{2,30}?)\s+(?:to|à|a|auf|zu|на)\s+(.{2,30})")

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
    r"направля\w+ (?:\w+ ){0,3}вклад|представля\w+ (?:\w+ ){0,3}вклад|во вложении",
    r"现提交|提交.{0,20}文稿|附件.{0,10}文稿|随函附上.{0,20}(?:文稿|提案)",
    r"寄書を提出|寄書を送付|提出いたします",
    r"기고서?를?\s*(?:\S+\s*){0,3}(?:송부|제출)|첨부와 같이",
)
REVISED = _words(
    r"\brev(?:ision)?\.?\s*\d+\b|\brevised\b|\brévisée?\b|\brevisad[ao]\b|\büberarbeitet\w*",
    r"\bneue fassung\b|\bnouvelle version\b|\bupdated version\b|\breplaces the version\b",
    r"исправленн\w+ (?:версия|редакция)|новая редакция|修订|修改稿|改訂|改版|수정본|개정",
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
    r"|吗|か。|까요|나요"
)
ALREADY_REGISTERED = _words(
    r"\b(?:am|are|is|was) (?:already )?registered\b|\balready registered\b",
    r"\bdéjà inscrit|\bya estoy inscrit|\bbereits angemeldet|\bschon angemeldet",
    r"уже зарегистр|已经报名|已报名|登録済み|이미 등록",
)
NOT_YET = _words(
    r"\bwill (?:send the |do the )?register\w*\b.{0,40}\b(?:once|when|after|if)\b",
    r"\bbefore (?:we|i) register\b|\bwill register (?:himself|herself|themselves)\b",
    r"\bhow (?:do|can|to) (?:i |we )?(?:register|submit)\b|\bhow to submit\b",
)
ABSENCE = _words(
    r"\bapolog(?:y|ies|ise|ize)\b.{0,60}\b(?:absence|attend|not be able)\b",
    r"\b(?:unable|not be able|cannot|can't|won't be able) to (?:attend|join|participate)\b",
    r"\bexcus(?:ed|é|ée)s?\b|\bentschuldig\w* (?:mich|uns)\b|\bне смогу\b|无法参加|欠席|불참",
)
THANKS = _words(
    r"\bthank(?:s| you)\b|\bmerci\b|\bgracias\b|\bdanke\b|\bvielen dank\b|\bспасибо\b",
    r"谢谢|感谢|ありがとう|감사합니다|고맙습니다",
)
GREETING_TO_ALL = _words(
    r"\b(?:dear|hi|hello) (?:all|everyone|colleagues|members)\b|\bhi tomasz, all\b",
    r"\bchers collègues\b|\bbonjour à tous\b|\bhallo zusammen\b|\bliebe kolleg\w+",
    r"\bestimados colegas\b|\bhola a todos\b|\bуважаемые коллеги\b|各位|皆様|여러분",
)
TO_SECRETARIAT = _words(
    r"\b(?:dear|hello|hi) (?:\w+ )?secretariat\b|\bsecretariat\b",
    r"\bsecrétariat\b|\bsecretaría\b|\bsekretariat\b|\bсекретариат\w*|秘书处|事務局|사무국",
)
NEWSLETTER = _words(
    r"\bunsubscribe\s*(?::|here|from|at|link|<|https?)|\bto unsubscribe\b",
    r"\bclick\b.{0,20}unsubscribe",
    r"\bmanage (?:your )?subscription\b|\byou (?:receive|are receiving) this\b",
    r"\bnewsletter\b|\bview (?:it )?in (?:your )?browser\b|\bread online\b",
    r"\bse désabonner\b|\bdarse de baja\b|\babbestellen\b|\bотписаться\b|退订|配信停止|수신\s*거부",
)
LURE = fast(
    r"\bshared (?:a file|a document|\"[^\"]{1,120}\") with you\b|\bhas shared\b"
    r"|\bshared .{0,80} with you\b|\bthis link will expire\b|\bverify your (?:account|mailbox)\b"
    r"|\bconfirm your (?:fee|payment|password|account)\b"
)
# list and bot commands, alone on the first line
COMMAND = re.compile(
    r"^\s*(subscribe|unsubscribe|help|info|who|digest\s+(?:on|off)|nodigest|set\s+\w+(?:\s+\w+)?"
    r"|approve|reject|discard|hold|release|reclassify(?:\s+\S+){0,4}|confirm\s+\S+|join|leave"
    r"|remove|resend\s+\S+|list|ack\s+\S+)\s*[.!]?\s*$"
)

ATTEND = _words(
    r"\b(?:i|we)(?: will| shall| would like to|'d like to| wish to| plan to| intend to"
    r"| want to|'ll) (?:attend|participate|join|take part)\b",
    r"\b(?:je|nous) participer(?:ai|ons)\b|\bparticiperai\b|\bje souhaite participer\b",
    r"\bparticiparé\b|\basistiré\b|\bparticiparemos\b|\bdeseo participar\b",
    r"\bnehme\w* \w+ (?:\w+ )?teil\b|\bwerde\w* \w+ (?:\w+ )?teilnehmen\b",
    r"\bприму участие\b|\bбуду участвовать\b|\bпримем участие\b",
    r"我将参加|我会参加|我们将参加|参加します|出席します|参加いたします|참석하겠습니다|참석할 예정",
)
PERSON_FIELD = re.compile(
    r"^[ \t]*(name|full name|organi[sz]ation|affiliation|e-?mail|participation|mode|nom|organisme"
    r"|courriel|nombre|entidad|correo|modalidad|фио|организация|эл\. почта|формат участия|姓名"
    r"|单位|邮箱|参会方式|氏名|所属|参加方法|성명|소속|이메일|참석 방식)[ \t]*[:：]?[ \t]",
    re.MULTILINE,
)
CONTRIBUTION_FILE = fast(
    r"contrib|input|proposal|beitrag|aporte|вклад|寄書|文稿|기고|(?:^|[-_ ])c-?\d{2,4}(?=[-_. ]|$)",
    re.IGNORECASE,
)
LS_TOKEN = fast(r"(?<![A-Za-z])LS(?![A-Za-z])")
_FOR_VALUE = (
    r"(?:for\s+)?(?:action|comments?|information)\b|供参考|征求意见|通报|для (?:сведения|"
    r"комментари|принятия мер)"
)
FOR_LINE = re.compile(
    rf"^[ \t]*(?:[^\W\d]{{1,6}}[ \t]+)?(?:for|pour|para|zur|目的)[ \t]*(?:[:：][ \t]*|[ \t]+)"
    rf"(?:{_FOR_VALUE})"
    r"|^[ \t]*(?:purpose|objet|objeto|zweck|цель)[ \t]*[:：]?[ \t]*(?:for\s+)?"
    r"(?:action|comments?)\b",
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
    (re.compile(r"[\u3040-\u30ff]|参加登録|申込|会合|寄書|登録"), "ja"),
    (re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
)
_LATIN = {
    "fr": re.compile(r"inscri(?:ption|re|vez)|présentiel|à distance|en ligne|sur place|ci-joint"
                     r"|réunion|liaison de|contribution pour|commentaire|d'entrée|l'inscrire"),
    "es": re.compile(r"inscrip|inscrib|remot[ao]|en línea|presencial|contribuci|adjunt|reunión"
                     r"|comentario|acción|información"),
    "de": re.compile(r"anmeld|melde|teilnahme|vor ort|beitr|anbei|sitzung|stellungnahme"
                     r"|kenntnis|persönlich|virtuell"),
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
