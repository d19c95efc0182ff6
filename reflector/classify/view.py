"""What the rules look at, worked out once per message (pure).

A message's text is split into what the sender wrote now (`own`), what they forwarded
(`forwarded`: it counts, a forwarded request is a request) and what they quote from earlier
mail (`quoted`: context only, a reply quoting our announcement is not an announcement). The
signature, a mailing list's footer and legal disclaimers are dropped from `own`.

    view = MailView.of(parsed, site)
    view.own          # lower-cased new text
    view.topic        # the subject without Re:/Fwd: prefixes and our [GROUP] tag
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from reflector.classify.documents import document_text
from reflector.classify.lexicon import ANNOUNCEMENT, fast
from reflector.classify.verdict import SiteFacts
from reflector.errors import ParseError
from reflector.mail.parse import Attachment, ParsedMessage, parse

# Rules read this much of the text: the intent of a mail is in its first screens, and a
# bounded scan keeps a 1 MB body as cheap as a short one.
TEXT_LIMIT = 5_000
_MAX_RECIPIENTS = 200
_MESSAGE_TYPES = ("message/rfc822", "message/global")
_MAX_ATTACHED_MESSAGE = 5_000_000
_OWN_TEXT_OF_A_FORWARD = 600  # characters: "FYI, see the LS below" and a signature

_PREFIX = re.compile(
    r"^(?:\s*(?:\[[^\]]{1,40}\]\s*)?(?:re|aw|sv|vs|antw|odp|ris|res|r|rv|fwd?|tr|wg|i|pd|enc"
    r"|отв|пересл|回复|答复|回覆|转发|轉寄|返信|転送|회신|전달)\s*(?:\[\d+\])?\s*[:：])+",
    re.IGNORECASE,
)
_FORWARD_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]{1,40}\]\s*)?(?:fwd?|tr|wg|rv|i|pd|enc|пересл|转发|轉寄|転送|전달)\s*[:：]",
    re.IGNORECASE,
)
# Lines where quoted or forwarded mail begins (RFC 3676 s.4.5 covers only "> "; clients write
# these instead).
_ATTRIBUTION = re.compile(
    r"^(?:on\b.{0,160}\bwrote\s*:|le\b.{0,160}\ba écrit\s*:|am\b.{0,160}\bschrieb\b.{0,80}:"
    r"|el\b.{0,160}\bescribió\s*:|il\b.{0,160}\bha scritto\s*:|op\b.{0,160}\bschreef\b.{0,80}:"
    r"|.{0,160}\bwrote\s*:|.{0,160}пишет\s*:|.{0,160}写道[:：]|.{0,160}님이 작성[:：]?"
    r"|.{0,160}のメッセージ[:：]|.{0,160}wrote\s*:\s*$)\s*$"
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|message d'origine|ursprüngliche nachricht|mensaje original"
    r"|messaggio originale|исходное сообщение|原始邮件|元のメッセージ|원본 메시지)\s*-{2,}\s*$"
    r"|^\s*-{2,}\s*original message\s*-*\s*$"
)
_FORWARDED = re.compile(
    r"^\s*-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré"
    r"|mensaje reenviado|messaggio inoltrato|пересылаемое сообщение|转发的邮件|転送された"
    r"メッセージ|전달된 메시지)\s*-{2,}\s*$|^\s*begin forwarded message\s*:\s*$"
)
_HEADER_FROM = re.compile(r"^\s*(?:from|von|de|van|da|от|发件人|差出人|보낸 사람)\s*[:：]\s*\S")
# A quoted header block has a date line right under From (an LS's "From:/To:/For:" has not).
_HEADER_NEXT = re.compile(
    r"^\s*(?:sent|date|gesendet|datum|envoyé|enviado|fecha|verzonden|inviato|отправлено|发送时间"
    r"|日時|送信日時|보낸 날짜)\s*[:：]"
)
_LS_PURPOSE = re.compile(
    r"^(?:for|purpose)\s*[:：]\s*(?:for\s+)?(?:action|comments?|information)\b"
)
_QUOTE_MARK = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
# what a meeting announcement says, in the text a reply quotes
_ANNOUNCED = fast(
    r"\bpre-?regist|\bhow to register\b|\bwill hold its\b|\bwill take place\b|\bse tiendra\b"
    r"|\bse celebrará\b|\bfindet\b.{0,60}\bstatt\b|\bсостоится\b|召开|開催|개최"
)
_SIGNATURE = re.compile(
    r"^(?:--\s*|__+|sent from my \w+.*|envoyé de mon \w+.*|von meinem \w+ gesendet.*)$"
)
_DISCLAIMER = re.compile(
    r"^\s*(?:this e-?mail (?:and any attachments )?(?:is|are|and its)|aviso legal|legal notice"
    r"|confidentiality notice|disclaimer\b|diese e-mail (?:enthält|ist)|ce message et)"
)


@dataclass(frozen=True)
class Parts:
    own: str  # new text, original case, without signature, footer or disclaimer
    forwarded: str  # text of a forwarded message inside the body
    quoted: str  # quoted earlier mail (replies)
    signature: str  # what was cut from the end of `own`


def split_text(text: str, forward: bool) -> Parts:
    """Split a body into new, forwarded and quoted text.

    >>> p = split_text("Yes, please.\\n\\nOn Mon, Ann wrote:\\n> Register me?\\n", False)
    >>> p.own, p.quoted
    ('Yes, please.', 'On Mon, Ann wrote:\\n> Register me?')
    """
    lines = text[:TEXT_LIMIT].splitlines()
    own: list[str] = []
    cut = len(lines)
    marker_forward = False
    for i, line in enumerate(lines):
        stripped = line.strip().lower()
        if stripped.startswith(">"):
            cut = i
            break
        if _FORWARDED.match(stripped):
            cut, marker_forward = i, True
            break
        if _ORIGINAL.match(stripped) or (
            len(stripped) < 240 and stripped.endswith(":") and _ATTRIBUTION.match(stripped)
        ):
            cut = i
            break
        if (
            _HEADER_FROM.match(stripped)
            and any(_HEADER_NEXT.match(n.strip().lower()) for n in lines[i + 1 : i + 4])
            and not any(_LS_PURPOSE.match(n.strip().lower()) for n in lines[max(0, i - 2) : i + 5])
        ):  # (an LS's own "To:/From:/Subject:/For:/Date:" block is no quoted mail)
            cut = i
            break
        own.append(line)
    rest = "\n".join(lines[cut:])
    signature: list[str] = []
    for i, line in enumerate(own):
        stripped = line.strip().lower()
        if (
            _SIGNATURE.match(line.rstrip())
            or _SIGNATURE.match(stripped)
            or _DISCLAIMER.match(stripped)
        ):
            own, signature = own[:i], own[i:]
            break
    if forward or marker_forward:
        # a forward that quotes what it forwards ("> For: Action") forwards it all the same
        return Parts("\n".join(own).strip(), _QUOTE_MARK.sub("", rest), "", "\n".join(signature))
    return Parts("\n".join(own).strip(), "", rest, "\n".join(signature))


@dataclass
class MailView:
    """A parsed message as the rules see it; expensive parts are computed on first use."""

    message: ParsedMessage
    site: SiteFacts

    @classmethod
    def of(cls, message: ParsedMessage, site: SiteFacts) -> MailView:
        return cls(message, site)

    # -- subject

    @cached_property
    def subject(self) -> str:
        return " ".join(self.message.subject.split())[:400]

    @cached_property
    def topic(self) -> str:
        """The subject without reply/forward prefixes and without our own [GROUP] tag."""
        topic = _PREFIX.sub("", self.subject).strip()
        tag = f"[{self.site.group_name.lower()}]"
        if topic.lower().startswith(tag):
            topic = _PREFIX.sub("", topic[len(tag) :]).strip()
        return topic

    @cached_property
    def topic_lower(self) -> str:
        return _plain(self.topic)

    @cached_property
    def is_reply(self) -> bool:
        return bool(self.message.in_reply_to) or (
            bool(_PREFIX.match(self.subject)) and not self.is_forward
        )

    @cached_property
    def is_forward(self) -> bool:
        return bool(_FORWARD_PREFIX.match(self.subject))

    # -- text

    @cached_property
    def parts(self) -> Parts:
        return split_text(self.message.text, self.is_forward)

    @cached_property
    def own(self) -> str:
        """The new text, lower-cased, with typographic apostrophes made plain."""
        return _plain(self.parts.own)

    @cached_property
    def content(self) -> str:
        """New and forwarded text (inline, or attached as a message), lower-cased: what the
        sender asks for."""
        forwarded = _plain(self.parts.forwarded + self.attached_text)
        return f"{self.own}\n{forwarded}" if forwarded else self.own

    @cached_property
    def attached_messages(self) -> tuple[ParsedMessage, ...]:
        """Messages forwarded as attachments (message/rfc822), the first two, read once; only
        when they are what the mail is about (a forward, or a mail with little text of its
        own), since parsing them costs as much as the mail itself."""
        if not self.is_forward and len(self.parts.own) > _OWN_TEXT_OF_A_FORWARD:
            return ()
        found = []
        for a in self.message.attachments[:20]:
            if a.content_type in _MESSAGE_TYPES and a.size <= _MAX_ATTACHED_MESSAGE:
                try:
                    found.append(parse(a.payload))
                except ParseError:
                    continue
                if len(found) == 2:
                    break
        return tuple(found)

    @cached_property
    def attached_text(self) -> str:
        return "".join(
            f"\nFrom: {m.from_ or ''}\nSubject: {m.subject}\n\n{m.text[:TEXT_LIMIT]}"
            for m in self.attached_messages
        )

    @cached_property
    def own_flat(self) -> str:
        """The new text, lower-cased, on one line (phrases wrapped by the mail client match)."""
        return " ".join(self.own.split())

    @cached_property
    def content_flat(self) -> str:
        return " ".join(self.content.split())

    @cached_property
    def own_lines(self) -> list[str]:
        return [line.strip() for line in self.parts.own.splitlines() if line.strip()]

    # -- addresses and threads

    @cached_property
    def recipients(self) -> frozenset[str]:
        found = (*self.message.to, *self.message.cc)[:_MAX_RECIPIENTS]
        return frozenset(a.key for a in found)

    @cached_property
    def our_domain(self) -> str:
        return self.site.secretariat.rpartition("@")[2]

    @cached_property
    def sender_domain(self) -> str:
        sender = self.message.from_
        return sender.key.rpartition("@")[2] if sender else ""

    @cached_property
    def answers_announcement(self) -> bool:
        """A reply to a meeting announcement: its subject says so, or the quoted text is one."""
        if not self.is_reply:
            return False
        return bool(
            ANNOUNCEMENT.search(self.topic_lower)
            or _ANNOUNCED.search(self.parts.quoted[:2000].lower())
        )

    @cached_property
    def replies_to_us(self) -> bool:
        """In-Reply-To one of our own mails (Message-IDs in our domain)."""
        parent = self.message.in_reply_to or ""
        return bool(self.our_domain) and parent.casefold().endswith("@" + self.our_domain)

    # -- attachments

    @cached_property
    def files(self) -> tuple[Attachment, ...]:
        """Attached files: not inline images, not attached messages, not calendar parts."""
        return tuple(
            a
            for a in self.message.attachments[:50]
            if not a.inline
            and not a.content_type.startswith(("message/", "text/calendar", "text/rfc822"))
        )

    @cached_property
    def documents(self) -> tuple[Attachment, ...]:
        """Files that can hold a document: word processor, PDF, slides, archives."""
        return tuple(a for a in self.files if is_document(a))

    def document_text(self, index: int) -> str:
        """The first page's text of `documents[index]` ("" when unreadable), read once."""
        cache = self.__dict__.setdefault("_document_texts", {})
        if index not in cache:
            cache[index] = document_text(self.documents[index])
        text: str = cache[index]
        return text


_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})


def _plain(text: str) -> str:
    lowered = text.lower()
    return lowered.translate(_APOSTROPHES) if "’" in lowered or "‘" in lowered else lowered


DOCUMENT_SUFFIXES = (
    ".doc", ".docx", ".docm", ".dot", ".dotx", ".pdf", ".ppt", ".pptx", ".odt", ".odp", ".rtf",
    ".zip", ".7z", ".xls", ".xlsx",
)  # fmt: skip
DOCUMENT_TYPES = ("application/pdf", "application/msword", "application/vnd.", "application/zip")


def is_document(attachment: Attachment) -> bool:
    """True for a file that may be an input document or an LS (not an image, CSV or .ics)."""
    name = attachment.filename.lower()
    if name.endswith((".csv", ".ics", ".vcf", ".png", ".jpg", ".jpeg", ".gif", ".p7s", ".asc")):
        return False
    return name.endswith(DOCUMENT_SUFFIXES) or attachment.content_type.startswith(DOCUMENT_TYPES)
