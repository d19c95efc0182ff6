"""parse(): raw bytes -> ParsedMessage, for well-formed, malformed and hostile mail.

Small inline messages pin single behaviours; the corpus tests run every real-world and
labelled message through the parser; a hypothesis test feeds it arbitrary bytes.
"""

from __future__ import annotations

import base64
import csv
import doctest
import hashlib
import importlib
import mailbox
import re
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reflector.errors import ParseError
from reflector.mail.parse import ParsedMessage, parse
from reflector.values import Address

from corpus import corpus_dir


def mail(headers: str, body: str = "Hello.\n") -> bytes:
    """A message from header lines (a leading space or tab folds a line) and a body."""
    return f"{headers.strip()}\n\n{body}".encode()


def b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


# --- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("=?utf-8?Q?Inscription_=C3=A0_la_r=C3=A9union?=", "Inscription à la réunion"),
        ("=?ISO-8859-1?Q?Gr=FC=DFe_aus_Z=FCrich?=", "Grüße aus Zürich"),
        (b_word("报名参加第5次会议", "gb2312"), "报名参加第5次会议"),
        (b_word("第5回会合 参加登録", "iso-2022-jp"), "第5回会合 参加登録"),
        (b_word("참가 등록", "euc-kr"), "참가 등록"),
        (b_word("Регистрация", "koi8-r"), "Регистрация"),
        ("Re: " + b_word("Anmeldung", "utf-8") + " (2)", "Re: Anmeldung (2)"),
    ],
)
def test_subjects_are_decoded_from_rfc2047_in_any_charset(encoded: str, expected: str) -> None:
    assert parse(mail(f"From: a@b.example\nSubject: {encoded}")).subject == expected


def test_a_character_split_across_two_encoded_words_is_joined() -> None:
    data = "café".encode()
    first, second = (base64.b64encode(x).decode() for x in (data[:4], data[4:]))
    subject = f"=?utf-8?B?{first}?=\n =?utf-8?B?{second}?="
    assert parse(mail(f"From: a@b.example\nSubject: {subject}")).subject == "café"


def test_headers_are_unfolded_lower_case_and_in_message_order() -> None:
    msg = parse(mail("Subject: a long\n subject line\nX-Custom: 1\nX-CUSTOM: 2"))
    assert msg.headers == (("subject", "a long subject line"), ("x-custom", "1"), ("x-custom", "2"))
    assert msg.header("X-Custom") == "1"
    assert msg.header_all("x-custom") == ["1", "2"]


def test_an_encoded_line_break_cannot_smuggle_a_header() -> None:
    raw = mail("From: a@b.example\nSubject: =?utf-8?Q?Hello=0D=0ABcc:_victim@x.example?=")
    msg = parse(raw)
    assert "\r" not in msg.subject and "\n" not in msg.subject
    assert msg.subject.startswith("Hello") and msg.header("bcc") is None


def test_nul_and_control_characters_in_headers_become_spaces() -> None:
    msg = parse(b"From: a@b.example\nSubject: one\x00two\x07three\n\nbody")
    assert msg.subject == "one two three"


def test_addresses_keep_encoded_display_names_with_commas_together() -> None:
    msg = parse(mail("From: =?utf-8?Q?Okafor=2C_Amara?= <amara@lagos.example>"))
    assert msg.from_ == Address("Okafor, Amara", "amara@lagos.example")


def test_group_syntax_is_flattened_and_empty_groups_give_nobody() -> None:
    msg = parse(
        mail(
            "From: a@b.example\nTo: undisclosed-recipients:;\n"
            'Cc: Chairs: amara@lagos.example, "Lin, Wei" <linwei@cq.example>;, x@y.example'
        )
    )
    assert msg.to == ()
    assert [a.email for a in msg.cc] == ["amara@lagos.example", "linwei@cq.example", "x@y.example"]
    assert msg.cc[1].name == "Lin, Wei"


def test_unusable_address_entries_are_skipped() -> None:
    msg = parse(mail("From: a@b.example\nTo: nobody, <>, , Bad <bad address@x>, ok@x.example"))
    assert msg.to == (Address("", "ok@x.example"),)


def test_a_huge_folded_address_header_is_read_in_linear_time() -> None:
    # Encoded words holding "10:08:28" look like thousands of nested groups to the stdlib
    # address parser, which then recurses past the stack limit.
    words = "\n\t".join(["=?utf-8?Q?date=3E2017-08-20T10:08:28.617=3C/pr?="] * 4000)
    raw = mail(f'From: a@b.example\nTo: "test" <test@test.example>,\n\t{words}')
    started = time.perf_counter()
    msg = parse(raw)
    assert time.perf_counter() - started < 5
    assert msg.to[0] == Address("test", "test@test.example")
    assert len(msg.header("to") or "") > 100_000


def test_message_ids_lose_their_brackets_and_references_stay_oldest_first() -> None:
    msg = parse(
        mail(
            "From: a@b.example\nMessage-ID: <m3@x.example>\nIn-Reply-To: <m2@x.example> (x)\n"
            "References: <m1@x.example>\n <m2@x.example> <m1@x.example>"
        )
    )
    assert msg.message_id == "m3@x.example"
    assert msg.in_reply_to == "m2@x.example"
    assert msg.references == ("m1@x.example", "m2@x.example")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Thu, 01 Oct 2026 04:00:07 -0400", datetime(2026, 10, 1, 8, 0, 7, tzinfo=UTC)),
        ("Thu, 01 Oct 2026 10:00:00 EDT", datetime(2026, 10, 1, 14, 0, tzinfo=UTC)),
        # RFC 5322 s.3.3 / s.4.3: "-0000" and unknown zone names mean "zone unknown" -> UTC.
        ("Thu, 01 Oct 2026 08:00:07 -0000", datetime(2026, 10, 1, 8, 0, 7, tzinfo=UTC)),
        ("1 Oct 2026 10:00 CEST", datetime(2026, 10, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_dates_are_timezone_aware_utc(value: str, expected: datetime) -> None:
    when = parse(mail(f"From: a@b.example\nDate: {value}")).date
    assert when == expected
    assert when is not None and when.tzinfo == UTC


def test_an_unreadable_date_is_empty_and_noted() -> None:
    msg = parse(mail("From: a@b.example\nDate: Whenever"))
    assert msg.date is None
    assert any("Date" in note and "Whenever" in note for note in msg.defects)
    assert parse(mail("From: a@b.example")).date is None


# --- bodies -------------------------------------------------------------------------------

ALTERNATIVE = """From: a@b.example
Content-Type: multipart/alternative; boundary=b1

--b1
Content-Type: text/plain; charset=utf-8

Plain version.
--b1
Content-Type: text/html; charset=utf-8

<p>HTML version.</p>
--b1--
"""


def test_plain_text_is_preferred_and_html_is_kept() -> None:
    msg = parse(ALTERNATIVE.encode())
    assert msg.text == "Plain version."
    assert msg.html == "<p>HTML version.</p>"
    assert msg.content_types == ("multipart/alternative", "text/plain", "text/html")


def test_an_html_only_body_becomes_readable_text() -> None:
    html = (
        "<html><head><title>x</title><style>p {color: red}</style></head><body>"
        "<script>alert(1)</script><p>Dear&nbsp;Secretariat,</p><p>please register me"
        "<br>for meeting&#160;5 &amp; 6.</p><ul><li>in person</li></ul>"
        '<a href="https://reg.example/form">the form</a></body></html>'
    )
    msg = parse(mail("From: a@b.example\nContent-Type: text/html; charset=utf-8", html))
    assert msg.text == (
        "Dear Secretariat,\n\nplease register me\nfor meeting 5 & 6.\n\n- in person\n\n"
        "the form <https://reg.example/form>"
    )
    assert msg.html == html


def test_text_uses_newline_line_endings() -> None:
    msg = parse(b"From: a@b.example\r\nSubject: x\r\n\r\nline one\r\nline two\r\n")
    assert msg.text == "line one\nline two"


def test_a_multipart_without_boundary_is_read_as_text_and_noted() -> None:
    raw = mail("From: a@b.example\nContent-Type: multipart/mixed", "Please register me.\n")
    msg = parse(raw)
    assert "Please register me." in msg.text
    assert any("no usable boundary" in note for note in msg.defects)


def test_an_unknown_charset_falls_back_and_says_so() -> None:
    raw = b'From: a@b.example\nContent-Type: text/plain; charset="x-user-defined"\n\ncaf\xe9\n'
    msg = parse(raw)
    assert msg.text == "café"
    assert msg.defects == (
        "unknown charset 'x-user-defined' in a text/plain part; read as windows-1252",
    )


def test_latin1_declared_text_is_read_as_windows_1252() -> None:
    raw = b"From: a@b.example\nContent-Type: text/plain; charset=iso-8859-1\n\n\x93Hi\x94 \x96 ok"
    assert parse(raw).text == "“Hi” – ok"


# --- attachments --------------------------------------------------------------------------


def attachment_mail(disposition: str, payload: bytes = b"%PDF-1.4 tiny") -> bytes:
    data = base64.b64encode(payload).decode()
    return f"""From: a@b.example
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: text/plain

See attached.
--b1
Content-Type: application/pdf
Content-Disposition: {disposition}
Content-Transfer-Encoding: base64

{data}
--b1--
""".encode()


def test_an_attachment_has_its_name_type_size_and_digest() -> None:
    msg = parse(attachment_mail('attachment; filename="JCA-QKDN-5-contrib.pdf"'))
    (att,) = msg.attachments
    assert (att.filename, att.content_type, att.inline) == (
        "JCA-QKDN-5-contrib.pdf",
        "application/pdf",
        False,
    )
    assert att.payload == b"%PDF-1.4 tiny" and att.size == 13
    assert att.sha256 == hashlib.sha256(b"%PDF-1.4 tiny").hexdigest()
    assert msg.text == "See attached."


def test_rfc2231_file_names_with_charset_and_continuations() -> None:
    msg = parse(
        attachment_mail(
            "attachment;\n filename*0*=utf-8''JCA-QKDN-5-%E9%87%8F%E5%AD%90;\n"
            ' filename*1*=-R%C3%A9seau; filename*2=".pdf"'
        )
    )
    assert msg.attachments[0].filename == "JCA-QKDN-5-量子-Réseau.pdf"


def test_rfc2047_words_inside_a_file_name_are_decoded() -> None:
    name = b_word("鍵中継ノード.docx", "utf-8")
    msg = parse(attachment_mail(f'attachment; filename="{name}"'))
    assert msg.attachments[0].filename == "鍵中継ノード.docx"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("1234/../../1234.txt", "1234.txt"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        (".htaccess", "htaccess"),
        ('a<b>c:d|e?f*g".pdf', "abcdefg.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ("tab\there.pdf", "tab here.pdf"),
        ("..", "attachment-1.pdf"),
        ("x" * 300 + ".docx", "x" * 195 + ".docx"),
    ],
)
def test_hostile_file_names_are_made_safe(name: str, safe: str) -> None:
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    (att,) = parse(attachment_mail(f'attachment; filename="{quoted}"')).attachments
    assert att.filename == safe
    assert att.original_filename == name.replace("\t", " ")


def test_an_unnamed_attachment_gets_a_numbered_name_with_a_fitting_extension() -> None:
    (att,) = parse(attachment_mail("attachment")).attachments
    assert att.filename == "attachment-1.pdf" and att.original_filename is None


def test_inline_images_are_attachments_marked_inline() -> None:
    (att,) = parse(attachment_mail('inline; filename="logo.pdf"')).attachments
    assert att.inline


def test_broken_base64_is_decoded_as_far_as_possible_and_noted() -> None:
    raw = attachment_mail("attachment").replace(b"JVBERi0xLjQgdGlueQ==", b"JVBERi0x!!LjQgdGlue")
    msg = parse(raw)
    assert msg.attachments[0].payload.startswith(b"%PDF-1.4")
    assert any("broken base64" in note for note in msg.defects)


FORWARDED = b"""From: colleague@quantanet.example
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: text/plain

Forwarding Marta's contribution.
--outer
Content-Type: message/rfc822
Content-Disposition: attachment; filename="input.eml"

From: marta@quantanet.example
Subject: Key-rate monitoring
Content-Type: multipart/mixed; boundary=inner

--inner
Content-Type: text/plain

Inner text.
--inner
Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document
Content-Disposition: attachment; filename="contrib.docx"
Content-Transfer-Encoding: base64

UEsDBA==
--inner--

--outer--
"""


def test_an_attached_message_is_one_attachment_and_its_files_follow() -> None:
    msg = parse(FORWARDED)
    assert [a.filename for a in msg.attachments] == ["input.eml", "contrib.docx"]
    eml, docx = msg.attachments
    assert eml.content_type == "message/rfc822"
    assert b"Subject: Key-rate monitoring" in eml.payload and b"UEsDBA==" in eml.payload
    assert docx.payload == b"PK\x03\x04"
    assert msg.text == "Forwarding Marta's contribution."  # not the forwarded message's text
    assert msg.content_types[:3] == ("multipart/mixed", "text/plain", "message/rfc822")


def test_report_sections_are_neither_body_nor_attachments() -> None:
    raw = b"""From: MAILER-DAEMON@mx.example
Content-Type: multipart/report; report-type=delivery-status; boundary=r

--r
Content-Type: text/plain

Delivery failed.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; gone@x.example
Action: failed
Status: 5.1.1
--r--
"""
    msg = parse(raw)
    assert msg.text == "Delivery failed."
    assert msg.attachments == ()
    assert msg.content_types == ("multipart/report", "text/plain", "message/delivery-status")


# --- not a message at all, and repairs at the start -----------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   ", b"\r\n\r\n\t \n"])
def test_empty_input_is_not_a_message(raw: bytes) -> None:
    with pytest.raises(ParseError, match="empty"):
        parse(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"This is just some text.\nNo header fields at all.\n",
        b"\x00\x01\x02\x03\xff\xfe",
    ],
)
def test_bytes_without_header_fields_are_not_a_message(raw: bytes) -> None:
    with pytest.raises(ParseError, match="not an e-mail message"):
        parse(raw)


def test_an_outlook_msg_file_is_named_as_such() -> None:
    with pytest.raises(ParseError, match=r"Outlook \.msg file"):
        parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)


def test_max_bytes_refuses_oversized_messages_in_plain_words() -> None:
    with pytest.raises(ParseError) as caught:
        parse(b"x" * 40_000_000, max_bytes=25_000_000)
    assert caught.value.reason == "message is 40.0 MB, over the 25.0 MB limit"
    raw = mail("From: a@b.example")
    assert parse(raw, max_bytes=len(raw)).size == len(raw)


def test_a_byte_order_mark_and_leading_blank_lines_are_ignored() -> None:
    msg = parse(b"\xef\xbb\xbf\r\n\nFrom: a@b.example\nSubject: hi\n\nbody")
    assert msg.subject == "hi" and msg.text == "body"
    assert len(msg.defects) == 2


def test_obsolete_spaces_before_the_colon_are_accepted() -> None:
    msg = parse(b"Subject : Saying Hello\nFrom  : John Doe <jdoe@machine.example>\n\nHi")
    assert msg.subject == "Saying Hello"
    assert msg.from_ == Address("John Doe", "jdoe@machine.example")


@pytest.mark.parametrize(("depth", "note"), [(300, "inner parts"), (1200, "only the headers")])
def test_absurdly_deep_nesting_is_cut_off_not_crashed(depth: int, note: str) -> None:
    head = "".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(depth)
    )
    raw = f"From: a@b.example\nSubject: deep\n{head}Content-Type: text/plain\n\ndeep\n"
    msg = parse(raw.encode())
    assert msg.subject == "deep"
    assert any("nested too deeply" in n and note in n for n in msg.defects), msg.defects


def test_an_unquoted_boundary_with_an_equals_sign_is_read() -> None:
    raw = ALTERNATIVE.replace("boundary=b1", "boundary=----=_Part_1").replace(
        "--b1", "------=_Part_1"
    )
    msg = parse(raw.encode())
    assert msg.text == "Plain version." and msg.html == "<p>HTML version.</p>"
    assert msg.defects == ("the MIME boundary is not quoted as it must be; read anyway",)


# --- properties ---------------------------------------------------------------------------

FRAGMENTS = [
    b"From: a@b.example\n",
    b"Subject: =?utf-8?q?x=0A?=\n",
    b"Content-Type: multipart/mixed; boundary=z\n",
    b"Content-Type: text/plain; charset=x-unknown\n",
    b"Content-Type: message/rfc822\n",
    b"Content-Disposition: attachment; filename*0*=utf-8''%E9; filename*1=..\n",
    b"Content-Transfer-Encoding: base64\n",
    b"To: g: a@b, (c) <d>;\n",
    b"\n",
    b"--z\n",
    b"--z--\n",
    b"=?gb2312?B?\n",
    b" folded\n",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=20), max_size=30).map(b"".join),
    )
)
def test_any_bytes_give_a_message_or_a_parse_error(raw: bytes) -> None:
    try:
        msg = parse(raw)
    except ParseError as error:
        assert error.reason
    else:
        assert isinstance(msg, ParsedMessage) and msg.size == len(raw)
        assert all("\n" not in value and "\r" not in value for _, value in msg.headers)


# --- corpora ------------------------------------------------------------------------------

# The realworld files that are not e-mail messages at all: a bare body without any header
# (a MIME test of "no headers"), a Mailman digest's preamble, and an Outlook .msg (OLE) file.
NOT_MESSAGES = {"malformedHeader-noheader.msg", "msg_19.txt", "mail_outlook_1"}
UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\<>:"|?*]|^[. ]')


def assert_sane(msg: ParsedMessage, raw: bytes, where: str) -> None:
    assert msg.size == len(raw), where
    assert msg.content_types, where
    for att in msg.attachments:
        assert att.filename and not UNSAFE_NAME.search(att.filename), (where, att.filename)
        assert len(att.filename) <= 200, where
        assert att.size == len(att.payload), where
        assert att.sha256 == hashlib.sha256(att.payload).hexdigest(), where


def test_every_realworld_file_parses_or_is_refused_in_words() -> None:
    root = corpus_dir("realworld")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".md", ".tsv"))
    assert len(files) == 510
    refused = {}
    for path in files:
        raw = path.read_bytes()
        try:
            msg = parse(raw)
        except ParseError as error:
            refused[path.name] = error.reason
            continue
        assert_sane(msg, raw, str(path))
    assert set(refused) == NOT_MESSAGES, refused


def test_every_message_in_the_realworld_mbox_files_parses(tmp_path: Path) -> None:
    root = corpus_dir("realworld")
    mboxes = sorted(p for p in root.rglob("*") if "mbox" in p.name and p.is_file())
    assert len(mboxes) == 6
    parsed, refused = 0, []
    for path in mboxes:
        copy = tmp_path / path.name  # mailbox opens its file for writing; keep the corpus safe
        copy.write_bytes(path.read_bytes())
        box = mailbox.mbox(copy, create=False)
        for key in box.iterkeys():
            raw = box.get_bytes(key)
            try:
                msg = parse(raw)
            except ParseError as error:
                refused.append((path.name, key, error.reason))
                continue
            assert_sane(msg, raw, f"{path}#{key}")
            parsed += 1
    # An unquoted "From " line in a body splits off a fragment that is not a message.
    assert parsed >= 44 and len(refused) <= 2, refused


def labelled_files() -> list[tuple[str, str, str]]:
    root = corpus_dir("labelled")
    with (root / "labels.csv").open(encoding="utf-8", newline="") as handle:
        return [(row["file"], row["label"], row["notes"]) for row in csv.DictReader(handle)]


def test_every_labelled_message_parses_with_its_files_intact() -> None:
    root = corpus_dir("labelled")
    rows = labelled_files()
    assert len(rows) == 90
    for name, _label, notes in rows:
        raw = (root / name).read_bytes()
        msg = parse(raw)
        assert_sane(msg, raw, name)
        assert msg.from_ is not None and msg.date is not None and msg.message_id, name
        if "empty" not in notes.split("|")[0]:
            assert msg.text.strip(), name
        # The only malformed file is the one the notes call DELIBERATELY MALFORMED.
        assert bool(msg.defects) == ("MALFORMED" in notes), (name, msg.defects)
        # Every base64 attachment decodes to the same bytes by an independent route.
        reference = message_from_bytes(raw, policy=policy.compat32)
        by_name = {a.original_filename: a for a in msg.attachments}
        for part in reference.walk():
            if part.get_filename() and part["Content-Transfer-Encoding"] == "base64":
                expected = base64.b64decode(part.get_payload())
                attached = by_name.get(part.get_filename()) or next(
                    a for a in msg.attachments if a.sha256 == hashlib.sha256(expected).hexdigest()
                )
                assert attached.payload == expected, name
        # The file named in the notes is attached under that name.
        named = re.findall(r"file=(\S+?\.(?:docx|pdf|doc|zip))(?=[\s.;|]|$)", notes)
        if msg.attachments:
            for filename in named:
                assert filename in {a.filename for a in msg.attachments}, (name, filename)
        for att in msg.attachments:
            if att.filename.endswith((".docx", ".zip")):
                assert att.payload.startswith(b"PK\x03\x04"), (name, att.filename)
            if att.filename.endswith(".pdf"):
                assert att.payload.startswith(b"%PDF"), (name, att.filename)


@pytest.mark.parametrize(
    "module", ["parse", "body", "decode", "fields", "htmltext"], ids=lambda name: name
)
def test_the_docstring_examples_hold(module: str) -> None:
    failed, _ = doctest.testmod(importlib.import_module(f"reflector.mail.{module}"))
    assert failed == 0


def test_an_attached_message_encoded_in_base64_is_decoded() -> None:
    # RFC 2046 s.5.2.1 forbids it, some clients do it: the attachment is the message itself
    inner = b"From: Grace <g@ieee.example>\nSubject: LS\n\nFor action.\n"
    raw = (
        b"From: a@b.example\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nFYI\n'
        b"--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(inner)
        + b"--b--\n"
    )
    (eml,) = parse(raw).attachments
    assert eml.payload == inner and eml.size == len(inner)
