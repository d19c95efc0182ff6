"""screen(): automatic mail, loops and forgeries are recognised; people's mail is left alone.

One test (hit and near miss) per rule with small inline messages, then the labelled corpus:
the notes say which messages are out-of-office replies, bounces, read receipts or spoofs.
"""

from __future__ import annotations

import csv
import doctest
import importlib
import re
from dataclasses import replace

import authres
import pytest

from reflector.mail.authresults import AuthResults, MethodResult, _read_plain, read_auth_results
from reflector.mail.parse import parse
from reflector.mail.screen import RULES, AuthVerdict, Screening, ScreenPolicy, screen
from reflector.values import Kind

from corpus import corpus_dir

SECRETARIAT = "qkdn-secretariat@sdo-coord.example"
MX = "mx1.sdo-coord.example"
POLICY = ScreenPolicy(
    own_addresses=frozenset(
        {
            SECRETARIAT,
            "qkdn-jca@lists.sdo-coord.example",
            "qkdn-jca-request@lists.sdo-coord.example",
        }
    ),
    secretariat_addresses=frozenset(
        {"hannah.lindqvist@sdo-coord.example", "rafael.monteiro@sdo-coord.example"}
    ),
    authserv_ids=frozenset({MX}),
    own_list_ids=frozenset({"qkdn-jca.lists.sdo-coord.example"}),
    loop_marker=SECRETARIAT,
)
PASS = f"Authentication-Results: {MX}; dkim=pass header.d=carrier-one.example; spf=pass; dmarc=pass"


def check(headers: str, body: str = "Hello.\n", *, content_type: str = "") -> Screening:
    """Screen a small message: `headers` lines (From defaults to a member), then `body`."""
    head = headers.strip()
    if not re.search(r"^From:", head, re.MULTILINE):
        head = "From: Rebecca Thornquist <rthornquist@carrier-one.example>\n" + head
    if content_type:
        head += f"\nContent-Type: {content_type}"
    return screen(parse(f"{head}\n\n{body}".encode()), POLICY)


def test_ordinary_mail_is_nothing_and_may_be_answered() -> None:
    result = check(f"{PASS}\nSubject: Registration for meeting 5")
    assert result.kind is None and not result.no_reply and result.reasons == ()
    assert result.auth == AuthVerdict(dmarc="pass", dkim="pass", spf="pass")
    assert result.list_id is None and not result.own_list


# --- SPOOFED ------------------------------------------------------------------------------


def test_dmarc_fail_from_our_mx_is_spoofed() -> None:
    result = check(f"Authentication-Results: {MX}; spf=fail; dkim=none; dmarc=fail")
    assert result.kind == Kind.SPOOFED
    assert result.reasons[0] == f"DMARC fail per {MX}"
    assert result.auth == AuthVerdict(dmarc="fail", dkim="none", spf="fail")


def test_authentication_results_from_other_servers_are_ignored() -> None:
    result = check("Authentication-Results: mx.attacker.example; dmarc=fail")
    assert result.kind is None and result.auth == AuthVerdict(None, None, None)
    claims = check("Authentication-Results: mx.attacker.example; dkim=pass; dmarc=pass")
    assert claims.auth.dmarc is None
    assert claims.reasons == (
        "ignored Authentication-Results from mx.attacker.example claiming dkim=pass, "
        "dmarc=pass: not written by our own mail server",
    )


def test_a_field_authres_rejects_is_still_read() -> None:
    result = check(f"Authentication-Results: {MX}; dmarc=fail (p=reject header.from=x")
    assert result.kind == Kind.SPOOFED


PLAIN_FIELDS = [
    f"{MX}; none",
    f"{MX} 1; dkim=pass header.d=a.example header.s=s1 header.b=Ab+/9=",
    f"{MX};\n\tspf=pass (sender IP is 192.0.2.1; see RFC 7208) smtp.mailfrom=x@a.example;"
    " dmarc=fail reason=policy header.from=a.example",
    f"  (comment) {MX} ; arc/1 = pass ; dkim = fail (bad sig) header.i = @a.example",
]
AUTHRES_FIELDS = [  # shapes the quick reader leaves to authres
    f'{MX}; dmarc=pass reason="quoted; with semicolon" header.from=a.example',
    f"{MX}; spf=pass (nested (comment) here) smtp.mailfrom=a.example",
]


@pytest.mark.parametrize("value", PLAIN_FIELDS + AUTHRES_FIELDS)
def test_the_quick_reader_agrees_with_authres(value: str) -> None:
    header = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    expected = AuthResults(
        str(header.authserv_id).lower(),
        tuple(
            MethodResult(
                str(r.method).lower(),
                str(r.result).lower(),
                {f"{p.type}.{p.name}".lower(): str(p.value) for p in r.properties},
            )
            for r in header.results
        ),
    )
    assert read_auth_results(value) == expected
    assert (_read_plain(value) is None) == (value in AUTHRES_FIELDS)


def test_the_quick_reader_agrees_with_authres_on_the_corpus() -> None:
    values = []
    for name in ("labelled", "realworld"):
        for path in sorted(corpus_dir(name).rglob("*.eml")):
            values += parse(path.read_bytes()).header_all("authentication-results")
    assert len(values) > 50
    for value in values:
        quick = _read_plain(value)
        if quick is not None:
            try:
                header = authres.AuthenticationResultsHeader.parse(
                    "Authentication-Results: " + value
                )
            except authres.AuthResError:
                continue
            assert quick.authserv_id == str(header.authserv_id).lower(), value
            assert [(r.method, r.result) for r in quick.results] == [
                (str(r.method).lower(), str(r.result).lower()) for r in header.results
            ], value


def test_a_hostile_field_of_our_mx_reads_in_linear_time() -> None:
    # Cut-out comments and collapsed spaces leave the pattern nothing to backtrack over:
    # with a pattern that backtracked, the first of these took about 25 s.
    for value in (f"{MX}; a=b c.d=e" + " (c)" * 20_000 + "!", f"{MX}" + "; a=b" * 20_000 + "!"):
        assert _read_plain(value) is None


LIST_SIGNED = (
    f"Authentication-Results: {MX}; dkim=pass header.d=lists.sdo-coord.example;"
    " dkim=fail header.d=carrier-one.example; spf=pass"
    " smtp.mailfrom=qkdn-jca-bounces@lists.sdo-coord.example;"
    " dmarc=fail header.from=carrier-one.example"
)
OUR_LIST_ID = "List-Id: JCA-QKDN <qkdn-jca.lists.sdo-coord.example>"


def test_a_copy_our_list_rewrote_fails_dmarc_without_being_spoofed() -> None:
    # Mailman adds a subject tag and a footer: the author's signature breaks, DMARC fails
    result = check(f"{LIST_SIGNED}\n{OUR_LIST_ID}")
    assert result.kind is None and result.own_list and result.no_reply
    assert any("as it does for every copy our list rewrites" in r for r in result.reasons)
    assert not result.sender_proven  # the list's signature proves the list, not the author


def test_our_list_id_without_our_list_servers_signature_is_still_spoofed() -> None:
    forged = f"Authentication-Results: {MX}; dkim=none; spf=fail; dmarc=fail\n{OUR_LIST_ID}"
    assert check(forged).kind == Kind.SPOOFED


def test_a_list_copy_of_our_staffs_post_is_list_traffic_not_a_proven_command() -> None:
    result = check(
        f"From: Hannah Lindqvist <hannah.lindqvist@sdo-coord.example>\n{LIST_SIGNED}\n{OUR_LIST_ID}"
    )
    assert result.kind is None and not result.sender_proven


def test_a_dkim_pass_for_another_domain_does_not_prove_the_sender() -> None:
    result = check(f"Authentication-Results: {MX}; dkim=pass header.d=elsewhere.example")
    assert result.auth.dkim == "pass" and not result.sender_proven
    assert check(PASS).sender_proven


def test_our_own_address_without_proof_is_spoofed() -> None:
    result = check(f"From: JCA-QKDN Secretariat <{SECRETARIAT}>\nReply-To: pay@secure-pay.test")
    assert result.kind == Kind.SPOOFED
    assert result.reasons[0] == (
        f"From claims our address {SECRETARIAT}, but no Authentication-Results "
        "from our own mail server vouch for it"
    )


def test_a_secretariat_member_with_passing_dmarc_is_trusted() -> None:
    staff = "From: Hannah Lindqvist <hannah.lindqvist@sdo-coord.example>\n"
    passing = f"Authentication-Results: {MX}; dkim=pass header.d=sdo-coord.example; dmarc=pass"
    assert check(staff + passing).kind is None
    forged = check(staff + "Authentication-Results: evil.example; dmarc=pass")
    assert forged.kind == Kind.SPOOFED


def test_without_dmarc_an_aligned_dkim_or_spf_pass_proves_our_domain() -> None:
    staff = "From: Hannah Lindqvist <hannah.lindqvist@sdo-coord.example>\n"
    aligned = f"Authentication-Results: {MX}; dkim=pass header.d=sdo-coord.example"
    assert check(staff + aligned).kind is None
    spf = f"Authentication-Results: {MX}; spf=pass smtp.mailfrom=bounce@mail.sdo-coord.example"
    assert check(staff + spf).kind is None
    other = check(staff + f"Authentication-Results: {MX}; dkim=pass header.d=cheaphost.test")
    assert other.kind == Kind.SPOOFED
    assert "neither DKIM nor SPF pass for sdo-coord.example" in other.reasons[0]


# --- LOOP ---------------------------------------------------------------------------------


def test_our_x_loop_marker_is_a_loop() -> None:
    result = check(f"{PASS}\nX-Loop: {SECRETARIAT}")
    assert result.kind == Kind.LOOP and result.no_reply
    assert result.reasons == (f"X-Loop: {SECRETARIAT} is our own marker",)
    assert check(f"{PASS}\nX-Loop: other-list@lists.example").kind is None


def test_our_own_mail_coming_back_is_a_loop_but_a_list_copy_is_not() -> None:
    ours = f"From: {SECRETARIAT}\nAuthentication-Results: {MX}; dmarc=pass\n"
    result = check(ours)
    assert result.kind == Kind.LOOP
    assert result.reasons == (f"From is our own address {SECRETARIAT}: our own mail came back",)
    copy = check(ours + "List-Id: <qkdn-jca.lists.sdo-coord.example>")
    assert copy.kind is None and copy.no_reply and copy.own_list


def test_a_copy_distributed_by_our_list_is_list_traffic_not_a_loop() -> None:
    # Mailman 2 writes X-BeenThere (Sympa: X-Loop) with the list's address on every copy it
    # distributes, so the copy in the secretariat's mailbox is an ordinary post: not answered
    # (no_reply), but read. Only our own marker (the secretariat's X-Loop) means a loop.
    list_id = "List-Id: JCA-QKDN reflector <qkdn-jca.lists.sdo-coord.example>\n"
    for marker in ("X-BeenThere", "X-Loop"):
        copy = check(PASS + "\n" + list_id + f"{marker}: qkdn-jca@lists.sdo-coord.example")
        assert copy.kind is None and copy.no_reply and copy.own_list
        assert copy.list_id == "qkdn-jca.lists.sdo-coord.example"
    ours = check(PASS + "\n" + list_id + f"X-Loop: {SECRETARIAT}")
    assert ours.kind == Kind.LOOP


def test_too_many_received_fields_is_a_loop() -> None:
    hops = "\n".join(f"Received: from relay{i}.example by relay{i + 1}.example" for i in range(31))
    result = check(f"{PASS}\n{hops}")
    assert result.kind == Kind.LOOP
    assert result.reasons[0].startswith("31 Received header fields")
    assert check(f"{PASS}\n" + "\n".join(hops.splitlines()[:30])).kind is None


# --- BOUNCE -------------------------------------------------------------------------------

DSN_BODY = """--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.carrier-one.example

Final-Recipient: rfc822; gone@carrier-one.example
Action: failed
Status: 5.1.1
--b--
"""


def test_an_rfc3464_delivery_status_notification_is_a_bounce() -> None:
    result = check(
        "Subject: Undeliverable: Reminder",
        DSN_BODY,
        content_type="multipart/report; report-type=delivery-status; boundary=b",
    )
    assert result.kind == Kind.BOUNCE
    assert result.reasons[0] == "multipart/report; report-type=delivery-status (RFC 3464)"
    no_report_type = check("Subject: x", DSN_BODY, content_type="multipart/mixed; boundary=b")
    assert no_report_type.reasons[0] == "a message/delivery-status part (RFC 3464)"


def test_a_bounce_forwarded_by_a_person_is_not_a_bounce() -> None:
    forwarded = (
        "--o\nContent-Type: text/plain\n\nWhat does this mean?\n--o\n"
        "Content-Type: message/rfc822\n\nFrom: MAILER-DAEMON@x.example\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        + DSN_BODY
        + "\n--o--\n"
    )
    result = check(
        f"{PASS}\nSubject: Fwd: bounce", forwarded, content_type="multipart/mixed; boundary=o"
    )
    assert result.kind is None and not result.no_reply


def test_an_arf_feedback_report_is_screened_as_a_bounce() -> None:
    body = (
        "--f\nContent-Type: text/plain\n\nThis is an abuse report.\n--f\n"
        "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\n--f--\n"
    )
    result = check(
        "Subject: FW: x",
        body,
        content_type="multipart/report; report-type=feedback-report; boundary=f",
    )
    assert result.kind == Kind.BOUNCE
    assert result.reasons[0] == "multipart/report; report-type=feedback-report (RFC 5965)"
    assert check(f"{PASS}\nSubject: Feedback report on meeting 5").kind is None


@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("MAILER-DAEMON@mx.carrier-one.example", "failure notice"),
        (
            "Mail Delivery Subsystem <mailer-daemon@googlemail.example>",
            "Delivery Status Notification (Failure)",
        ),
        ("postmaster@carrier-one.example", "Undeliverable: Reminder: input deadline"),
        ("MAILER-DAEMON (Mail Delivery System)", "Undelivered Mail Returned to Sender"),
        ("postmaster@lab.example", "Returned mail: see transcript for details"),
    ],
)
def test_a_classic_bounce_without_a_dsn_is_a_bounce(sender: str, subject: str) -> None:
    result = check(f"From: {sender}\nSubject: {subject}")
    assert result.kind == Kind.BOUNCE and result.no_reply


@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("Rebecca <rthornquist@carrier-one.example>", "Re: returned mail from the hotel"),
        ("postmaster@carrier-one.example", "Question about our mail server migration"),
        ("Rebecca <rthornquist@carrier-one.example>", "Undeliverable: was my registration lost?"),
    ],
)
def test_people_writing_about_bounces_are_not_bounces(sender: str, subject: str) -> None:
    assert check(f"From: {sender}\n{PASS}\nSubject: {subject}").kind is None


def test_a_null_return_path_with_a_bounce_subject_is_a_bounce() -> None:
    result = check("Return-Path: <>\nSubject: Mail delivery failed: returning message")
    assert result.kind == Kind.BOUNCE
    quiet = check(f"Return-Path: <>\n{PASS}\nSubject: Minutes of the call")
    assert quiet.kind is None and quiet.no_reply  # RFC 5321 s.4.5.5: never answer <>


# --- RECEIPT ------------------------------------------------------------------------------


def test_an_rfc8098_disposition_notification_is_a_receipt() -> None:
    body = (
        "--m\nContent-Type: text/plain\n\nThis is a Return Receipt.\n--m\n"
        "Content-Type: message/disposition-notification\n\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n--m--\n"
    )
    ctype = "multipart/report; report-type=disposition-notification; boundary=m"
    result = check(f"{PASS}\nSubject: Return Receipt (displayed) - x", body, content_type=ctype)
    assert result.kind == Kind.RECEIPT
    assert result.reasons == ("multipart/report; report-type=disposition-notification (RFC 8098)",)
    text_only = check(f"{PASS}\nSubject: Return receipt for our payment", "Please confirm.")
    assert text_only.kind is None


def test_an_outlook_read_receipt_is_a_receipt() -> None:
    body = "Your message\n\n  To: Secretariat\n  Subject: Contribution\n\nwas read on 2 Oct 2026."
    result = check(f"{PASS}\nSubject: Read: Contribution received", body)
    assert result.kind == Kind.RECEIPT
    human = check(f"{PASS}\nSubject: Read: the attached agenda before Monday", "Please read it.")
    assert human.kind is None


# --- AUTO_REPLY ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["auto-replied", "auto-notified; owner=x"])
def test_auto_submitted_other_than_no_is_an_auto_reply(value: str) -> None:
    result = check(f"{PASS}\nAuto-Submitted: {value}")
    assert result.kind == Kind.AUTO_REPLY and result.no_reply
    assert result.reasons[0] == f"Auto-Submitted: {value.split(';')[0]} (RFC 3834)"


def test_auto_generated_is_never_answered_and_left_to_classification() -> None:
    # RFC 3834: written by a program, not an answer; a liaison tool's LS is one (classify)
    result = check(f"{PASS}\nAuto-Submitted: auto-generated")
    assert result.kind is None and result.no_reply and result.automated
    assert result.reasons == ("Auto-Submitted: auto-generated (RFC 3834)",)


def test_auto_submitted_no_is_a_person() -> None:
    result = check(f"{PASS}\nAuto-Submitted: no")
    assert result.kind is None and not result.no_reply


def test_x_autoreply_and_precedence_auto_reply_are_auto_replies() -> None:
    assert check(f"{PASS}\nX-Autoreply: yes").kind == Kind.AUTO_REPLY
    assert check(f"{PASS}\nX-Autorespond: vacation").kind == Kind.AUTO_REPLY
    assert check(f"{PASS}\nPrecedence: auto_reply").kind == Kind.AUTO_REPLY
    assert check(f"{PASS}\nX-Autoreply: no").kind is None


def test_an_exchange_inbox_rule_is_an_auto_reply() -> None:
    result = check(f"{PASS}\nX-MS-Exchange-Inbox-Rules-Loop: rthornquist@carrier-one.example")
    assert result.kind == Kind.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: [JCA-QKDN] Reminder",
        "Out of Office: Registration",
        "Out of Office AutoReply: Registration",
        "AUTO: Rebecca is out of the office",
        "Abwesenheitsnotiz: Re: Registration received",
        "Réponse automatique : Contribution received",
        "Respuesta automática: Inscripción",
        "自动回复: 报名参加",
        "自動応答: 参加登録",
        "자동 응답: 참가 등록",
    ],
)
def test_out_of_office_subjects_are_auto_replies(subject: str) -> None:
    result = check(f"{PASS}\nSubject: {subject}")
    assert result.kind == Kind.AUTO_REPLY
    assert result.reasons[0].startswith("subject starts with")


@pytest.mark.parametrize(
    "subject",
    [
        "re: out of office policy",
        "Out of office hours support during meeting 5",
        "Fwd: Automatic reply: why do I get this?",
        "Question about automatic replies from the bot",
    ],
)
def test_people_writing_about_out_of_office_are_not_auto_replies(subject: str) -> None:
    result = check(f"{PASS}\nSubject: {subject}")
    assert result.kind is None and not result.no_reply


def test_x_auto_response_suppress_alone_only_stops_answers() -> None:
    result = check(f"{PASS}\nX-Auto-Response-Suppress: All\nSubject: Registration")
    assert result.kind is None and result.no_reply
    ooo = check(f"{PASS}\nX-Auto-Response-Suppress: All\nSubject: Automatic reply: x")
    assert ooo.kind == Kind.AUTO_REPLY
    assert "X-Auto-Response-Suppress: All" in ooo.reasons[0]


# --- do not answer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Precedence: bulk", "Precedence: bulk (RFC 3834 s.2)"),
        ("Precedence: junk", "Precedence: junk (RFC 3834 s.2)"),
        (
            "List-Unsubscribe: <mailto:leave@news.example>",
            "list traffic (List-Unsubscribe: <mailto:leave@news.example>)",
        ),
        (
            "List-Post: <mailto:qiw@news.example>",
            "list traffic (List-Post: <mailto:qiw@news.example>)",
        ),
    ],
)
def test_bulk_and_list_mail_is_never_answered(header: str, reason: str) -> None:
    result = check(f"{PASS}\n{header}")
    assert result.kind is None and result.no_reply and result.reasons == (reason,)


def test_the_list_id_is_read_without_display_name_and_brackets() -> None:
    result = check(f"{PASS}\nList-Id: Quantum Industry Weekly <weekly.QIW-news.example>")
    assert result.list_id == "weekly.qiw-news.example" and not result.own_list


# --- precedence ---------------------------------------------------------------------------


def test_kinds_follow_the_documented_precedence() -> None:
    dsn = "multipart/report; report-type=delivery-status; boundary=b"
    forged_bounce = check(f"Authentication-Results: {MX}; dmarc=fail", DSN_BODY, content_type=dsn)
    assert forged_bounce.kind == Kind.SPOOFED
    looping_bounce = check(f"{PASS}\nX-Loop: {SECRETARIAT}", DSN_BODY, content_type=dsn)
    assert looping_bounce.kind == Kind.LOOP
    postfix_bounce = check(f"{PASS}\nAuto-Submitted: auto-replied", DSN_BODY, content_type=dsn)
    assert postfix_bounce.kind == Kind.BOUNCE
    assert postfix_bounce.reasons[1] == "Auto-Submitted: auto-replied (RFC 3834)"


def test_rule_names_are_unique_and_described() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert all(rule.description for rule in RULES)
    kinds = [rule.kind for rule in RULES if rule.kind is not None]
    order = [Kind.SPOOFED, Kind.LOOP, Kind.BOUNCE, Kind.RECEIPT, Kind.AUTO_REPLY]
    assert sorted(kinds, key=order.index) == kinds  # RULES is in precedence order


# --- the labelled corpus ------------------------------------------------------------------

NEVER_SCREENED = ("registration", "contribution", "liaison", "post", "command")


def kind_from_notes(notes: str) -> Kind | None:
    """What the hand-written notes say a message is (the description before "| lang=")."""
    text = notes.split("|")[0].lower()
    if re.search(r"\bmdn\b|read receipt", text):
        return Kind.RECEIPT
    if re.search(r"\bdsn\b|bounce|\bndr\b", text):
        return Kind.BOUNCE
    if "spoof" in text:
        return Kind.SPOOFED
    if re.search(r"out-of-office|auto-repl|auto-submitted|vacation", text):
        return Kind.AUTO_REPLY
    return None


def test_the_labelled_corpus_is_screened_as_its_notes_say() -> None:
    root = corpus_dir("labelled")
    with (root / "labels.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    wrong = []
    for row in rows:
        result = screen(parse((root / row["file"]).read_bytes()), POLICY)
        if result.automated:  # auto-generated: classify makes it an auto-reply unless it is
            # an LS laid out as one (tests/classify/test_gaps.py); none of these is
            result = replace(result, kind=Kind.AUTO_REPLY)
        if row["label"] in NEVER_SCREENED:
            expected = None
            # People's mail must be answered unless it is list traffic.
            if result.no_reply and result.list_id is None:
                wrong.append((row["file"], "no_reply", result.reasons))
        else:
            expected = kind_from_notes(row["notes"])
        if result.kind != expected:
            wrong.append((row["file"], expected, result.kind, result.reasons))
    assert wrong == []
    # The notes name 9 messages in other/ as automatic or forged: 4 auto-replies (including
    # an auto-generated receipt), 3 bounces, 1 read receipt, 1 spoof.
    named = [kind_from_notes(r["notes"]) for r in rows if r["label"] == "other"]
    assert sum(kind is not None for kind in named) == 9


@pytest.mark.parametrize("module", ["screen", "authresults"])
def test_the_docstring_examples_hold(module: str) -> None:
    failed, _ = doctest.testmod(importlib.import_module(f"reflector.mail.{module}"))
    assert failed == 0
