"""Turning the bytes and words of real-world mail into clean text (pure helpers for `parse`).

Every function here is total: it never raises on bad input. Where it had to guess, it returns a
short note in plain words, which `parse` collects in `ParsedMessage.defects`.
"""

from __future__ import annotations

import binascii
import codecs
import mimetypes
import re
import unicodedata

# RFC 5322 s.2.2.3: unfolding removes the CRLF that precedes folding white space.
_FOLD = re.compile(r"\r?\n(?=[ \t])")
# Control characters (C0, DEL, C1) and Unicode line separators: a header value is one line, and
# a decoded CR/LF must never become a header break when a value is reused (header injection).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# RFC 2047 s.2 encoded-word; lenient: no length limit, lower-case Q/B, language suffix (RFC 2231).
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")


# Charsets that mail declares but that are better read with a superset, as browsers do
# (WHATWG Encoding Standard, "labels"): Latin-1 mail is really windows-1252, GB2312 mail
# contains GBK characters, Korean mail contains Unified Hangul Code. US-ASCII is not widened:
# 8-bit bytes in a part declared ASCII are usually UTF-8, which the fallback below tries first.
_SUPERSETS = {
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-cn": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "tis-620": "cp874",
    "iso-8859-8-i": "iso-8859-8",
}

# Charset labels that name no charset at all: decode by sniffing instead.
_NOT_CHARSETS = frozenset({"x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default"})

# Codecs Python has that are not charsets: the escape codecs interpret backslashes, punycode
# and idna are for domain names, "undefined" always fails.
_REFUSED_CODECS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined"}
)


def normalise_charset(charset: str | None) -> str:
    """The charset label in canonical lower-case form, "" when there is none.

    >>> normalise_charset(' "ISO-8859-1" ')
    'iso-8859-1'
    """
    if not charset:
        return ""
    return charset.strip().strip("\"'").strip().lower()


def _codec(label: str) -> str | None:
    """The Python codec for a charset label, None when unknown or refused."""
    try:
        name = codecs.lookup(_SUPERSETS.get(label, label)).name
    except (LookupError, ValueError):  # ValueError: a NUL inside the label
        return None
    return None if name in _REFUSED_CODECS else name


def decode_bytes(data: bytes, charset: str | None, where: str) -> tuple[str, str | None]:
    """Decode `data` declared as `charset`; never fails.

    Tries the declared charset (or its common superset), then UTF-8, then windows-1252 with
    replacement characters. Returns the text and a note when the declaration was not usable.

    >>> decode_bytes(b"caf\\xe9", "x-user-defined", "text/plain part")
    ('café', "unknown charset 'x-user-defined' in text/plain part; read as windows-1252")
    """
    label = _CONTROLS.sub("?", normalise_charset(charset))[:40]
    codec = _codec(label) if label and label not in _NOT_CHARSETS else None
    if codec:
        try:
            return data.decode(codec), None
        except LookupError:  # a bytes-to-bytes codec such as base64 or hex
            problem = f"unknown charset '{label}'"
        except ValueError:
            problem = f"text that is not valid {label}"
    elif label:
        problem = f"unknown charset '{label}'"
    elif data.isascii():
        return data.decode("ascii"), None
    else:
        # RFC 2045 s.5.2: no charset means US-ASCII, so 8-bit bytes are a defect.
        problem = "8-bit text without a declared charset"
    try:
        text, used = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, used = data.decode("windows-1252", errors="replace"), "windows-1252"
    return text, f"{problem} in {where}; read as {used}"


def surrogates_to_text(value: str) -> tuple[str, bool]:
    """Undo the ASCII+surrogateescape decoding the email package applies to 8-bit headers.

    RFC 6532 allows UTF-8 in header fields; anything else is read as windows-1252 and reported
    as guessed (the boolean).
    """
    if value.isascii():
        return value, False
    try:
        raw = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # already real text (e.g. a str message); nothing to undo
        return value, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("windows-1252", errors="replace"), True


def clean_text(value: str) -> str:
    """Replace control characters by spaces and strip the ends."""
    return _CONTROLS.sub(" ", value).strip()


def unfold(value: str) -> str:
    """Unfold a raw header value and replace stray control characters by spaces."""
    return clean_text(_FOLD.sub("", value))


_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def base64_leniently(data: bytes) -> bytes:
    """Decode what can be decoded: junk characters dropped, padding repaired, a dangling
    last character (a length of 4n+1 cannot be base64) ignored.

    >>> base64_leniently(b"JVBERi0x!!LjQgdGlue")
    b'%PDF-1.4 tin'
    """
    clean = _NOT_BASE64.sub(b"", data)
    clean = clean[: len(clean) - 1] if len(clean) % 4 == 1 else clean
    return binascii.a2b_base64(clean + b"=" * (-len(clean) % 4))


def _word_bytes(encoding: str, text: str) -> bytes:
    data = text.encode("ascii", "replace")
    if encoding in "Qq":
        # RFC 2047 s.4.2: "_" is a space; a2b_qp(header=True) does that and tolerates junk.
        return binascii.a2b_qp(data, header=True)
    return base64_leniently(data)


def decode_words(value: str, where: str = "a header") -> tuple[str, str | None]:
    """Decode RFC 2047 encoded-words in an (unfolded) header value.

    Adjacent encoded-words in one charset are joined as bytes before decoding, because senders
    split multi-byte characters across words; white space between them is dropped (s.6.2).

    >>> decode_words("=?utf-8?q?caf=C3?= =?utf-8?q?=A9_au_lait?=")
    ('café au lait', None)
    """
    if "=?" not in value:
        return value, None
    out: list[str] = []
    notes: list[str] = []
    run: list[bytes] = []
    run_charset = ""
    pos = 0

    def flush() -> None:
        if run:
            text, note = decode_bytes(b"".join(run), run_charset, where)
            out.append(text)
            if note:
                notes.append(note)
            run.clear()

    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        if not run or gap.strip():
            flush()
            out.append(gap)
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 s.5: drop a language tag
        if run and normalise_charset(charset) != normalise_charset(run_charset):
            flush()
        run_charset = charset
        run.append(_word_bytes(match.group(2), match.group(3)))
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out), (notes[0] if notes else None)


def header_text(raw: str, where: str = "a header") -> tuple[str, list[str]]:
    """A raw header value as one clean line of text: 8-bit bytes read, unfolded, decoded.

    Control characters are replaced after decoding too, so an encoded CR/LF cannot smuggle a
    second header line into anything that reuses the value.

    >>> header_text("=?utf-8?q?Hello=0D=0ABcc:_x@y.example?=")
    ('Hello  Bcc: x@y.example', [])
    """
    notes = []
    value, guessed = surrogates_to_text(raw)
    if guessed:
        notes.append(f"8-bit bytes in {where} that are not UTF-8; read as windows-1252")
    value, note = decode_words(unfold(value), where)
    if note:
        notes.append(note)
    return clean_text(value), notes


# Characters Windows forbids in file names, plus the path separators.
_FILENAME_FORBIDDEN = re.compile(r'[<>:"|?*\\/]')
MAX_FILENAME = 200


def _extension_for(content_type: str) -> str:
    if content_type == "message/rfc822":
        return ".eml"
    return mimetypes.guess_extension(content_type, strict=False) or ".bin"


def safe_filename(name: str | None, content_type: str, number: int) -> str:
    """A file name safe to store and show: last path component only, no control or format
    characters (e.g. right-to-left overrides), no characters Windows forbids, no leading dots,
    at most 200 characters with the extension kept; `attachment-N.ext` when nothing is left.

    >>> safe_filename("../../etc/passwd", "text/plain", 1)
    'passwd'
    >>> safe_filename(None, "application/pdf", 2)
    'attachment-2.pdf'
    """
    base = re.split(r"[\\/]", name)[-1] if name else ""
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    base = _FILENAME_FORBIDDEN.sub("", base)
    # Leading dots would hide the file or climb directories; trailing ones vanish on Windows.
    base = base.strip().lstrip(". ").rstrip(". ")
    if not base:
        return f"attachment-{number}{_extension_for(content_type)}"
    if len(base) > MAX_FILENAME:
        stem, dot, ext = base.rpartition(".")
        ext = "." + ext if dot and stem and len(ext) <= 16 else ""
        base = base[: MAX_FILENAME - len(ext)].rstrip(". ") + ext
    return base


_MAX_NOTES = 40


class Notes:
    """Defect notes in order, each once, at most `_MAX_NOTES` (hostile mail can have many).

    >>> notes = Notes(); notes.add("x"); notes.add("x"); notes.add(None); notes.frozen()
    ('x',)
    """

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}
        self._dropped = 0

    def add(self, note: str | None) -> None:
        if not note or note in self._seen:
            return
        if len(self._seen) < _MAX_NOTES:
            self._seen[note] = None
        else:
            self._dropped += 1

    def frozen(self) -> tuple[str, ...]:
        extra = (f"{self._dropped} more problems not listed",) if self._dropped else ()
        return (*self._seen, *extra)
