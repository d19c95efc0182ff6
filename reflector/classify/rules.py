"""Named rules: each recognises one piece of evidence and says so in plain words (pure).

Shape borrowed from Mailman 3's rules: a rule has a name, a description, the kind it speaks
for, a weight, and a check that returns the evidence in a short sentence, or None.
`weight` is the rule's prior in log-odds units (about: 1 = weak hint, 2 = good sign,
3 = strong, 4 = nearly decisive); a negative weight speaks against the kind. How the weights
combine, and how `weights.json` adjusts them from labelled mail, is in
`reflector.classify.model`.

Add a rule: write a check `(view, screening) -> str | None`, append a `Rule` to `RULES`,
add a unit test in tests/classify/test_rules.py, and rerun `python -m reflector.classify.train`
(docs/classification.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reflector.classify import lexicon as lx
from reflector.classify.bodies import DOMAIN_HINTS, find_body
from reflector.classify.extract import field_lines, purpose_of
from reflector.classify.lexicon import cue
from reflector.classify.meetings import meetings_named
from reflector.classify.people import csv_people, mode_of
from reflector.classify.view import DOCUMENT_SUFFIXES, MailView
from reflector.mail.screen import Screening
from reflector.values import Kind

Check = Callable[[MailView, Screening], str | None]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: Kind
    weight: float
    description: str
    check: Check


_SENTENCE_END = re.compile(r"[.!?。！？]")


def _hit(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return m.group(0).strip() if m else None


# -- command -------------------------------------------------------------------------------


def _request_address(v: MailView, s: Screening) -> str | None:
    request = v.site.reflector_request
    if request and request in v.recipients:
        return f"sent to the list's command address {request}"
    return None


def _command_line(v: MailView, s: Screening) -> str | None:
    if not v.own_lines or len(v.parts.own) > 400:
        return None
    m = lx.COMMAND.match(v.own_lines[0].lower())
    return f"first line is the command '{m.group(1)}'" if m else None


def _command_subject(v: MailView, s: Screening) -> str | None:
    m = lx.COMMAND.match(v.topic_lower)
    if m and len(v.parts.own) < 600 and not v.files:
        return f"subject is the command '{m.group(1)}'"
    return None


def _staff_reply(v: MailView, s: Screening) -> str | None:
    if v.replies_to_us and v.sender_domain == v.our_domain:
        return f"a reply from our own domain ({v.message.from_}) to one of our notices"
    return None


# -- post ----------------------------------------------------------------------------------


def _own_list_copy(v: MailView, s: Screening) -> str | None:
    return f"came through our reflector (List-Id {s.list_id})" if s.own_list else None


def _to_reflector(v: MailView, s: Screening) -> str | None:
    if v.site.reflector not in v.recipients:
        return None
    if v.site.secretariat in {a.key for a in v.message.to[:50]}:
        return None  # written to the secretariat too ("reply all" to our announcement)
    return f"addressed to the reflector {v.site.reflector}"


def _group_greeting(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.GREETING_TO_ALL, " ".join(v.own_lines[:2]).lower())
    return f"greets the whole group ({cue(word)})" if word else None


def _secretariat_greeting(v: MailView, s: Screening) -> str | None:
    head = " ".join(v.own_lines[:2]).lower()
    word = _hit(lx.TO_SECRETARIAT, head)
    if word is None or lx.GREETING_TO_ALL.search(head):
        return None
    return f"greets the secretariat, not the group ({cue(word)})"


def _list_thread(v: MailView, s: Screening) -> str | None:
    tag = f"[{v.site.group_name.lower()}]"
    if tag in v.subject.lower() and v.is_reply and not v.replies_to_us:
        return "a reply in a thread of our list"
    return None


# -- registration --------------------------------------------------------------------------


def _registration_subject(v: MailView, s: Screening) -> str | None:
    if v.replies_to_us:
        return None  # "Re: Registration received" is our own subject coming back
    word = _hit(lx.REGISTER, v.topic_lower)
    return f"subject speaks of registering ({cue(word)})" if word else None


def _subject_registers_for_meeting(v: MailView, s: Screening) -> str | None:
    """ "Registration: JCA-QKDN meeting 6 - Kofi Mensah": the subject alone can say it all."""
    if v.replies_to_us or lx.QUESTION_SUBJECT.search(v.topic_lower):
        return None
    word = _hit(lx.REGISTER, v.topic_lower) or _hit(lx.PARTICIPATION, v.topic_lower)
    named = meetings_named(v.topic, v.site) if word else []
    return f"subject asks for a meeting ({cue(word)}, {', '.join(named)})" if named else None


def _registration_request(v: MailView, s: Screening) -> str | None:
    text = v.content_flat
    for m in lx.REGISTER_REQUEST.finditer(text):
        if (
            _negated(text, m.start())
            or _in_question(text, m.start())
            or lx.NOT_YET.search(text, max(0, m.start() - 20), m.end())
            or lx.ALREADY_REGISTERED.search(text, max(0, m.start() - 12), m.end())
        ):
            continue  # "I'd rather not register them", "should I register them?", "avant de
            # m'inscrire", "本人已報名參加" (already registered)
        return f"asks to register someone ({cue(m.group(0))})"
    return None


def _in_question(text: str, at: int) -> bool:
    """The sentence around `at` ends with a question mark (and is not a polite request)."""
    end = _SENTENCE_END.search(text, at)
    if end is None or end.group(0) not in "?？":
        return False
    start = max((e.end() for e in _SENTENCE_END.finditer(text, 0, at)), default=0)
    return not lx.POLITE_REQUEST.search(text[start : end.end()])


def _registration_words(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.REGISTER, v.own_flat)
    return f"text speaks of registering ({cue(word)})" if word else None


def _change_registration(v: MailView, s: Screening) -> str | None:
    asks = f"{v.topic_lower} {v.content_flat}"
    word = lx.change_asked(asks)
    if word is None:
        word = lx.cancellation_asked(asks)
    return f"asks to change or cancel a registration ({cue(word)})" if word else None


def _negated(text: str, at: int) -> bool:
    """A "not", "unable to", "不能" ... just before `at`, in the same clause."""
    return bool(lx.NEGATION.search(lx.CLAUSE.split(text[max(0, at - 40) : at])[-1]))


def _attendance(v: MailView, s: Screening) -> str | None:
    m = lx.ATTEND.search(v.content_flat)
    if m is None or _negated(v.content_flat, m.start()):
        return None
    return f"says they will attend ({cue(m.group(0))})"


def _absent(v: MailView) -> re.Match[str] | None:
    """Apologies for absence; not "I won't make it to Seoul" from someone who joins online."""
    m = lx.ABSENCE.search(v.own_flat)
    return None if m is None or mode_of(v.own_flat) == "remote" else m


def _announcement_reply(v: MailView, s: Screening) -> str | None:
    if not v.answers_announcement or _absent(v):
        return None
    for pattern in (lx.ATTEND, lx.ATTEND_INFORMAL):
        m = pattern.search(v.own_flat)
        if m and not _negated(v.own_flat, m.start()):
            return f"answers the meeting announcement saying they will come ({cue(m.group(0))})"
    return None


def _participation_mode(v: MailView, s: Screening) -> str | None:
    topic = "" if v.replies_to_us else v.topic_lower
    text = f"{topic} {v.own_flat}"
    if not (lx.REMOTE.search(text) or lx.IN_PERSON.search(text)):
        return None
    text = lx.MEETING_FORMAT.sub(" ", text)  # "Seoul and online" is the meeting's format
    for pattern in (lx.REMOTE, lx.IN_PERSON):
        word = _hit(pattern, text)
        if word:
            return f"names a way to attend ({cue(word)})"
    return None


def _people_table(v: MailView, s: Screening) -> str | None:
    """A spreadsheet (CSV) of people attached: a name column, one row each."""
    people = csv_people(v)
    return f"attaches a table of {len(people)} people (name column)" if people else None


def _participant_details(v: MailView, s: Screening) -> str | None:
    labels = {m.group(1).lower() for m in lx.PERSON_FIELD.finditer(v.parts.own.lower())}
    if len(labels) >= 2:
        return "gives a participant's details (" + ", ".join(sorted(labels)[:3]) + ")"
    return None


# -- contribution --------------------------------------------------------------------------


def _contribution_subject(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.CONTRIBUTION, v.topic_lower)
    return f"subject names an input document ({cue(word)})" if word else None


_ASKED = re.compile(r"\b(?:please|kindly|pls)\s+$")
_YOUR = re.compile(r"\b(?:your|vos|votre|su|sus|ihre|ihren|ваш\w*)\b")


def _submission(v: MailView, s: Screening) -> str | None:
    m = lx.SUBMIT.search(v.content_flat)
    if m is None or "?" in m.group(0) or "？" in m.group(0):
        return None  # "能否在截止日期之后提交？如果不行 ... 文稿": asks whether it may submit
    if (
        _in_question(v.content_flat, m.start())
        or _YOUR.search(m.group(0))
        or _ASKED.search(v.content_flat, max(0, m.start() - 12), m.start())
    ):
        return None  # "submit your contribution via ...", "please send contributions to the
        # secretariat": asks others to submit (a call for papers, the chair's reminder)
    if lx.INTENT.search(v.content_flat[max(0, m.start() - 30) : m.start()]) and not (
        v.documents or "http" in v.content_flat
    ):
        return None  # "we would like to submit ..." with nothing submitted
    return f"submits a document ({cue(m.group(0))})"


_LS_WORD = re.compile(r"\bls\b")


def _sends_file(v: MailView, s: Screening) -> str | None:
    if not v.documents:
        return None
    for m in lx.SENDS_FILE.finditer(v.content_flat[:2000]):
        after = v.content_flat[m.end() : m.end() + 80]
        if lx.LIAISON.search(after) or _LS_WORD.search(after) or lx.REGISTER.search(after):
            continue  # an LS or a registration form is attached: other rules speak for those
        if _ls_file(v, s) or _document_is_ls(v, s):
            return None
        # ... and says it is a document: an input, a paper, a new version (not an invoice)
        about = f"{v.topic_lower} {v.content_flat[:2000]}"
        if not (
            lx.DOCUMENT_NOUN.search(about)
            or lx.CONTRIBUTION.search(about)
            or lx.REVISED.search(about)
            or v.site.group_name.lower() in about
        ):
            return None
        return f"sends the attached file ({cue(m.group(0))})"
    return None


def _not_an_input(v: MailView, s: Screening) -> str | None:
    if not v.files:
        return None
    word = _hit(lx.NOT_AN_INPUT, f"{v.topic_lower} {v.own_flat[:400]}")
    return f"the file is not a document for the meeting ({cue(word)})" if word else None


def _answers_call(v: MailView, s: Screening) -> str | None:
    """ "Re: Call for contributions - meeting 5" with a document: "Here's ours"."""
    if not (v.is_reply and v.documents):
        return None
    word = _hit(lx.CONTRIBUTION, v.topic_lower)
    return f"answers a call for input documents with a document ({cue(word)})" if word else None


def _document_attached(v: MailView, s: Screening) -> str | None:
    if not v.documents:
        return None
    a = v.documents[0]
    more = f" and {len(v.documents) - 1} more" if len(v.documents) > 1 else ""
    return f"attachment '{a.original_filename or a.filename}' ({a.content_type}){more}"


def _contribution_file_name(v: MailView, s: Screening) -> str | None:
    for a in v.documents:
        if lx.CONTRIBUTION_FILE.search(a.filename):
            return f"file name '{a.filename}' marks an input document"
    return None


def _revision(v: MailView, s: Screening) -> str | None:
    names = " ".join(a.filename.lower() for a in v.documents)
    text = v.own_flat[:600] if v.documents else ""  # "the attached second revision"
    word = _hit(lx.REVISED, f"{v.topic_lower} {names} {text}")
    return f"a revised version ({cue(word)})" if word else None


def _contribution_words(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.CONTRIBUTION, v.own_flat)
    return f"text speaks of an input document ({cue(word)})" if word else None


def _links(v: MailView) -> list[str]:
    return re.findall(r"https?://[^\s<>\"')]+", v.parts.own) if not v.documents else []


def _document_link(v: MailView, s: Screening) -> str | None:
    """A link instead of an attachment, in a mail that speaks of a document."""
    links = _links(v)
    if links and (lx.CONTRIBUTION.search(v.own_flat) or lx.DOCUMENT_NOUN.search(v.own_flat)):
        return f"links to a document ({links[0][:60]})"
    return None


def _file_link(v: MailView, s: Screening) -> str | None:
    """A link to a document file itself (…/JCA-QKDN-5-019r1_slides.pptx)."""
    for url in _links(v):
        if url.lower().split("?")[0].endswith(DOCUMENT_SUFFIXES):
            return f"links to a document file ({url.rsplit('/', 1)[-1][:60]})"
    return None


# -- liaison -------------------------------------------------------------------------------


def _liaison_subject(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.LIAISON, v.topic_lower) or _hit(lx.LS_TOKEN, v.topic)
    return f"subject names a liaison statement ({cue(word)})" if word else None


def _for_line(v: MailView) -> re.Match[str] | None:
    if "_for_line" not in v.__dict__:  # two rules ask
        v.__dict__["_for_line"] = lx.FOR_LINE.search(v.content)
    found: re.Match[str] | None = v.__dict__["_for_line"]
    return found


def _deadline_line(v: MailView) -> re.Match[str] | None:
    if "_deadline_line" not in v.__dict__:
        v.__dict__["_deadline_line"] = lx.DEADLINE_LINE.search(v.content)
    found: re.Match[str] | None = v.__dict__["_deadline_line"]
    return found


def _liaison_fields(v: MailView, s: Screening) -> str | None:
    m = _for_line(v)
    return f"has the '{' '.join(m.group(0).split())[:40]}' line of an LS" if m else None


def _reply_deadline(v: MailView, s: Screening) -> str | None:
    m = _deadline_line(v)
    return f"asks for a reply by a date ('{' '.join(m.group(0).split())[:40]}')" if m else None


def _ls_file(v: MailView, s: Screening) -> str | None:
    for a in v.documents:
        if lx.LS_TOKEN.search(a.filename) or lx.LIAISON.search(a.filename.lower()):
            return f"attachment '{a.filename}' is named as an LS"
    return None


def _ls_phrase(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.LS_SENT, v.content_flat)
    return f"sends a liaison statement ({cue(word)})" if word else None


def _liaison_words(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.LIAISON, v.own_flat)
    return f"text speaks of a liaison statement ({cue(word)})" if word else None


def _body_sender(v: MailView, s: Screening) -> str | None:
    """The sender, or the author of a message forwarded as an attachment, is a standards body."""
    for sender, how in (
        (v.message.from_, "sent from"),
        *((m.from_, "forwards mail from") for m in v.attached_messages),
    ):
        if sender is None:
            continue
        domain = sender.email.rpartition("@")[2]
        if DOMAIN_HINTS.search(domain) or DOMAIN_HINTS.search(sender.name):
            return f"{how} another standards body ({sender.email})"
    return None


_LS_HEADING = re.compile(
    r"^[ \t]*(?:reply |new )?(?:liaison statement|ls)\b|^[ \t]*(?:déclaration|note) de liaison\b"
    r"|^[ \t]*declaración de enlace\b|^[ \t]*заявление о связи|^[ \t]*联络函|^[ \t]*リエゾン",
    re.MULTILINE,
)


def _ls_form(v: MailView, s: Screening) -> str | None:
    """The text is laid out as a liaison statement: its heading and fields (Source, For, ...)."""
    if not (_for_line(v) or _deadline_line(v)):
        return None  # an LS asks for something: For action/comment/information, a deadline
    text = v.content
    heading = _LS_HEADING.search(text)
    fields = field_lines(text)
    found: list[str] = [k for k in ("source", "title", "for", "deadline", "contact") if k in fields]
    if "source" in found and not find_body(fields["source"], exclude=v.site.group_name):
        found.remove("source")  # "Source: Quantia Labs" is a contribution's cover
    if "for" in found and purpose_of(fields["for"]) is None:
        found.remove("for")
    if heading:
        found.insert(0, "heading")
    # an LS says it is one or names the body it comes from, and asks for something
    if len(found) < 3 or not {"heading", "source"} & set(found):
        return None
    if not {"for", "deadline"} & set(found):
        return None
    return "laid out as a liaison statement (" + ", ".join(found) + ")"


def _new_ls_thread(v: MailView, s: Screening) -> str | None:
    """An LS starts a thread: a list copy of one is an LS sent to the list, not a discussion."""
    if v.is_reply or not (s.own_list or v.site.reflector in v.recipients):
        return None
    if _liaison_subject(v, s) and (_body_sender(v, s) or _ls_file(v, s) or _for_line(v)):
        return "a new thread that brings a liaison statement, not a reply in a discussion"
    return None


def _own_ls(v: MailView, s: Screening) -> str | None:
    """The LS is our group's own (its Source or From field names us): a copy or a receipt of
    what we sent, not a statement to us."""
    fields = field_lines(v.content)
    source = fields.get("source", "")
    if v.site.group_name.lower() in source.lower() and not find_body(
        source, exclude=v.site.group_name
    ):
        return f"the LS is our own (Source: {' '.join(source.split())[:60]})"
    return None


def _document_is_ls(v: MailView, s: Screening) -> str | None:
    if len(v.parts.own) > 600:
        return None  # the mail says what it sends; its first page is needed when it does not
    for i, a in enumerate(v.documents[:2]):
        head = v.document_text(i)[:1500]
        if re.search(r"^liaison statement\b", head, re.IGNORECASE | re.MULTILINE) or (
            lx.FOR_LINE.search(head.lower())
        ):
            return f"the attached '{a.filename}' is a liaison statement"
    return None


# -- other ---------------------------------------------------------------------------------


def _bulk(v: MailView, s: Screening) -> str | None:
    precedence = (v.message.header("precedence") or "").strip().lower()
    if precedence in ("bulk", "junk"):
        return f"Precedence: {precedence} (mass mail)"
    if v.message.header("list-unsubscribe") and not s.own_list:
        return "List-Unsubscribe of a mailing we do not run"
    return None


def _other_list(v: MailView, s: Screening) -> str | None:
    return f"List-Id of another list ({s.list_id})" if s.list_id and not s.own_list else None


def _newsletter(v: MailView, s: Screening) -> str | None:
    footer = "" if s.own_list else v.parts.signature.lower()  # our own list's footer
    word = _hit(lx.NEWSLETTER, f"{v.own_flat} {footer}")
    return f"reads like a newsletter ({cue(word)})" if word else None


def _call_for_papers(v: MailView, s: Screening) -> str | None:
    topic = "" if v.is_reply else v.topic_lower  # "Re: Call for contributions" answers one
    word = _hit(lx.CALL_FOR_PAPERS, f"{topic} {v.own_flat[:3000]}")
    return f"a call for papers ({cue(word)})" if word else None


def _calendar(v: MailView, s: Screening) -> str | None:
    return (
        "a calendar invitation (text/calendar)"
        if "text/calendar" in v.message.content_types
        else None
    )


_URL = re.compile(r"\b(?:https?://|www\.)\S+")


def _question(v: MailView, s: Screening) -> str | None:
    if v.site.reflector in v.recipients or s.own_list:
        return None  # a question to the list is a post
    text = _URL.sub(" ", v.own_flat)  # "?e=Tz4Wq1" in a link asks nothing
    for m in lx.QUESTION.finditer(text):
        start = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
        end = _SENTENCE_END.search(text, m.start())
        sentence = text[start : end.end() if end else len(text)]
        if (
            lx.REGISTER_REQUEST.search(sentence)
            or lx.POLITE_REQUEST.search(sentence)
            or lx.change_asked(sentence)
        ):
            continue  # "could you switch me to on-site?" asks for something to be done
        return f"asks a question ({cue(m.group(0))})"
    return None


def _question_subject(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.QUESTION_SUBJECT, v.topic_lower)
    return f"subject is a question ({cue(word)})" if word else None


def _asks_whether(v: MailView, s: Screening) -> str | None:
    for m in lx.NEED_TO.finditer(v.own_flat):
        if _in_question(v.own_flat, m.start()):
            return f"asks whether it is needed ({cue(m.group(0))})"
    return None


def _not_yet(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.NOT_YET, v.own_flat)
    return f"asks how to, or will do it later ({cue(word)})" if word else None


def _already_registered(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.ALREADY_REGISTERED, v.own_flat)
    return f"is already registered ({cue(word)})" if word else None


def _thanks_only(v: MailView, s: Screening) -> str | None:
    thanks = lx.THANKS.search(v.own_flat)
    if thanks is None or v.files or len(v.own_flat) > 200:
        return None
    rest = lx.THANKS.sub(" ", v.own_flat)
    if len(re.findall(r"\w+", rest)) > 6 or lx.REGISTER.search(rest) or lx.QUESTION.search(rest):
        return None
    return f"only says thank you ('{thanks.group(0)}')"


def _away(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.AWAY, v.own_flat[:1500])
    return f"reads like an out-of-office reply ({cue(word)})" if word else None


def _not_addressed(v: MailView, s: Screening) -> str | None:
    """Sent to nobody we are: "undisclosed-recipients", our address only in Bcc."""
    ours = {v.site.secretariat, v.site.reflector, v.site.reflector_request}
    if v.recipients & ours or s.own_list:
        return None
    return "none of our addresses is among the recipients (a blind copy, mass mail)"


def _receipt_notice(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.RECEIPT_NOTICE, f"{v.topic_lower} {v.own_flat[:1500]}")
    return f"confirms receipt of something sent ({cue(word)})" if word else None


def _recall(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.RECALL, v.own_flat[:600])
    return f"recalls an earlier message ({cue(word)})" if word else None


def _moderation(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.MODERATION, f"{v.topic_lower} {v.own_flat[:1500]}")
    return f"a list server's moderation request ({cue(word)})" if word else None


def _ls_idiom(v: MailView, s: Screening) -> str | None:
    """How liaison statements are written: "SG17 would like to inform JCA-QKDN that ..."."""
    group = re.escape(v.site.group_name.lower())
    m = re.search(
        rf"\b(?:would like to|wishes to|is pleased to|hereby|kindly) inform(?:s)? (?:the )?"
        rf"(?:itu-t )?{group}\b|\b(?:thanks|invites|requests|asks) (?:the )?(?:itu-t )?{group}"
        rf" (?:for its|to)\b"
        rf"|\bliaison (?:statement )?(?:from [^.]{{2,60}} )?to (?:the )?(?:itu-t )?{group}\b",
        f"{v.topic_lower} {v.content_flat[:3000]}",
    )
    return f"written as liaison statements are ('{m.group(0)}')" if m else None


def _absence(v: MailView, s: Screening) -> str | None:
    m = _absent(v)
    return f"sends apologies for absence ({cue(m.group(0))})" if m else None


def _empty(v: MailView, s: Screening) -> str | None:
    if not v.topic.strip() and not v.parts.own.strip() and not v.files:
        return "no subject, no text and no attachment"
    return None


def _lure(v: MailView, s: Screening) -> str | None:
    word = _hit(lx.LURE, v.own_flat)
    return f"reads like a lure ({cue(word)})" if word and not v.documents else None


def _robot_sender(v: MailView, s: Screening) -> str | None:
    sender = v.message.from_
    if sender and lx.ROBOT_SENDER.match(sender.email.lower()):
        return f"sent by a robot address ({sender.email})"
    return None


def _rule(name: str, kind: Kind, weight: float, description: str, check: Check) -> Rule:
    return Rule(name, kind, weight, description, check)


C, P, R, D, L, X = (Kind.COMMAND, Kind.POST, Kind.REGISTRATION, Kind.CONTRIBUTION, Kind.LIAISON,
                    Kind.OTHER)  # fmt: skip
RULES: tuple[Rule, ...] = (
    _rule("request-address", C, 3.0, "sent to the list's -request address", _request_address),
    _rule("command-line", C, 4.0, "a short mail whose first line is a command", _command_line),
    _rule("command-subject", C, 2.5, "the subject is a command", _command_subject),
    _rule("staff-reply", C, 1.0, "our staff answering one of our notices", _staff_reply),
    _rule("own-list-copy", P, 3.0, "a copy that came through our reflector", _own_list_copy),
    _rule("to-reflector", P, 3.5, "addressed to the reflector", _to_reflector),
    _rule("group-greeting", P, 1.0, "greets the whole group", _group_greeting),
    _rule("list-thread", P, 1.0, "a reply in a thread of our list", _list_thread),
    _rule(
        "secretariat-greeting",
        P,
        -1.5,
        "greets the secretariat (speaks against a post)",
        _secretariat_greeting,
    ),
    _rule("registration-subject", R, 1.5, "subject speaks of registering", _registration_subject),
    _rule(
        "subject-meeting",
        R,
        1.0,
        "subject asks to register or take part in a named meeting",
        _subject_registers_for_meeting,
    ),
    _rule("registration-request", R, 3.5, "asks to register someone", _registration_request),
    _rule("registration-words", R, 0.8, "text speaks of registering", _registration_words),
    _rule("registration-change", R, 3.0, "changes or cancels a registration", _change_registration),
    _rule("attendance", R, 1.5, "says someone will attend", _attendance),
    _rule(
        "announcement-reply",
        R,
        3.5,
        "answers our announcement saying they will come",
        _announcement_reply,
    ),
    _rule(
        "participation-mode", R, 1.0, "names remote or in-person attendance", _participation_mode
    ),
    _rule("people-table", R, 2.0, "attaches a CSV table of people", _people_table),
    _rule("participant-details", R, 1.2, "Name:/Organisation:/E-mail: lines", _participant_details),
    _rule("contribution-subject", D, 2.0, "subject names an input document", _contribution_subject),
    _rule("submission", D, 3.0, "submits a document", _submission),
    _rule("sends-file", D, 2.0, "says it sends the attached document", _sends_file),
    _rule("answers-call", D, 2.0, "answers a call for inputs with a document", _answers_call),
    _rule("document-attached", D, 1.5, "carries a document file", _document_attached),
    _rule("contribution-file", D, 1.0, "file named as an input", _contribution_file_name),
    _rule("revision", D, 0.7, "a revised version of a document", _revision),
    _rule("contribution-words", D, 0.8, "text speaks of an input document", _contribution_words),
    _rule("file-link", D, 2.0, "links to a document file instead of attaching it", _file_link),
    _rule("document-link", D, 0.8, "links to a document instead of attaching", _document_link),
    _rule("liaison-subject", L, 2.5, "subject names a liaison statement", _liaison_subject),
    _rule("liaison-for", L, 2.5, "the For: line of an LS", _liaison_fields),
    _rule("reply-deadline", L, 1.0, "asks for a reply by a date", _reply_deadline),
    _rule("ls-form", L, 3.5, "laid out as an LS (heading, Source, For, Deadline)", _ls_form),
    _rule("ls-file", L, 2.5, "attachment named as an LS", _ls_file),
    _rule("ls-sent", L, 2.0, "says it sends a liaison statement", _ls_phrase),
    _rule("liaison-words", L, 0.8, "text speaks of a liaison statement", _liaison_words),
    _rule("body-sender", L, 1.0, "sent from another standards body", _body_sender),
    _rule("ls-document", L, 3.0, "the attached document is an LS", _document_is_ls),
    _rule("ls-idiom", L, 1.5, "written as LSs are ('would like to inform JCA-QKDN')", _ls_idiom),
    _rule("new-ls-thread", L, 2.0, "a list copy that starts a thread with an LS", _new_ls_thread),
    _rule("not-an-input", X, 2.0, "sends an invoice, a passport, an agenda...", _not_an_input),
    _rule("bulk", X, 2.0, "mass mail (Precedence: bulk, List-Unsubscribe)", _bulk),
    _rule("other-list", X, 1.5, "came through a list we do not run", _other_list),
    _rule("newsletter", X, 1.5, "reads like a newsletter", _newsletter),
    _rule("calendar", X, 3.0, "a calendar invitation", _calendar),
    _rule("call-for-papers", X, 3.0, "a conference's call for papers", _call_for_papers),
    _rule("question", X, 1.0, "asks a question", _question),
    _rule("question-subject", X, 1.5, "the subject is a question", _question_subject),
    _rule("not-yet", X, 2.0, "asks how to, or will do it later", _not_yet),
    _rule("asks-whether", X, 2.0, "asks whether registering is needed", _asks_whether),
    _rule("already-registered", X, 1.5, "says they are already registered", _already_registered),
    _rule("thanks-only", X, 3.0, "only says thank you", _thanks_only),
    _rule("absence", X, 2.0, "apologies for absence", _absence),
    _rule("own-ls", X, 3.0, "the LS comes from our own group", _own_ls),
    _rule("moderation", X, 3.5, "a list server's moderation request", _moderation),
    _rule("recall", X, 4.0, "Outlook's request to recall an earlier message", _recall),
    _rule("receipt-notice", X, 1.5, "a receipt for something sent", _receipt_notice),
    _rule("away", X, 3.5, "an out-of-office reply, by its words", _away),
    _rule("not-addressed", X, 1.0, "not addressed to any of our addresses", _not_addressed),
    _rule("empty", X, 3.0, "nothing in it", _empty),
    _rule("lure", X, 3.0, "a link lure (shared file, confirm payment)", _lure),
    _rule("robot-sender", X, 1.0, "sent from a no-reply address", _robot_sender),
)

BIAS: dict[Kind, float] = {X: 2.0}
