"""Each named rule: a message it recognises (in several languages where words matter) and a
near miss it must leave alone. The reason a rule gives is what the secretariat reads."""

from __future__ import annotations

from typing import Any

import pytest
from support_mail import DOCX, REFLECTOR, REQUEST, docx, hits, message

from reflector.classify.rules import RULES

LIST_COPY = {"List-Id": "JCA-QKDN reflector <qkdn-jca.lists.sdo-coord.example>"}
OTHER_LIST = {"List-Id": "Quantum news <news.qnews.example>"}
OUR_NOTICE = {"In-Reply-To": "<notice.42@sdo-coord.example>"}
STAFF = "Hannah Lindqvist <hannah.lindqvist@sdo-coord.example>"
A_DOCX = ("kms-interfaces.docx", b"PK\x03\x04 not really", DOCX)
LS_DOCX = ("notes.docx", docx("LIAISON STATEMENT\nFor: Action\nDeadline: 1 May 2027"), DOCX)

M = dict[str, Any]
# rule name -> (message that hits, message that does not)
CASES: dict[str, tuple[M, M]] = {
    "request-address": ({"subject": "x", "to": REQUEST}, {"subject": "x"}),
    "command-line": (
        {"subject": "Re: held post", "body": "approve\n\nRafael"},
        {
            "subject": "x",
            "body": "I approve of the agenda, but we need to discuss item 3 at length.",
        },
    ),
    "command-subject": (
        {"subject": "unsubscribe", "body": "Kind regards"},
        {"subject": "Help with the template"},
    ),
    "staff-reply": (
        {"subject": "Re: notice", "body": "ok", "sender": STAFF, "headers": OUR_NOTICE},
        {"subject": "Re: notice", "body": "ok", "headers": OUR_NOTICE},
    ),
    "own-list-copy": (
        {"subject": "x", "headers": LIST_COPY},
        {"subject": "x", "headers": OTHER_LIST},
    ),
    "to-reflector": ({"subject": "x", "to": REFLECTOR}, {"subject": "x"}),
    "group-greeting": (
        {"body": "Hallo zusammen,\n\nwas meint ihr?"},
        {"body": "Dear Secretariat,\n\nplease see below."},
    ),
    "secretariat-greeting": (
        {"body": "Dear Secretariat,\n\nsee the attached file."},
        {"body": "Dear Secretariat, dear all,\n\nsee the attached file."},
    ),
    "list-thread": (
        {"subject": "Re: [JCA-QKDN] Terminology", "headers": {"In-Reply-To": "<a@b.example>"}},
        {"subject": "Re: [JCA-QKDN] Registration received", "headers": OUR_NOTICE},
    ),
    "registration-subject": (
        {"subject": "Inscripción – reunión 7"},
        {"subject": "Re: Registration received", "headers": OUR_NOTICE},
    ),
    "registration-request": (
        {"body": "Прошу зарегистрировать меня на 7-е заседание."},
        {"body": "Please register it as a contribution."},
    ),
    "registration-words": ({"body": "JCA-QKDN 제7차 회의 등록"}, {"body": "See you in Geneva."}),
    "registration-change": (
        {"body": "Please change my registration: I will attend in person."},
        {"body": "Please change the title of my document."},
    ),
    "attendance": (
        {"body": "We would like to attend the Geneva meeting."},
        {"body": "I will not be able to attend the Geneva meeting."},
    ),
    "announcement-reply": (
        {
            "subject": "Re: [JCA-QKDN] Announcement: meeting 7",
            "body": "Count me in!",
            "headers": OUR_NOTICE,
        },
        {
            "subject": "Re: [JCA-QKDN] Announcement: meeting 7",
            "body": "Sorry, I cannot attend. See you in Seoul next year.",
            "headers": OUR_NOTICE,
        },
    ),
    "participation-mode": (
        {"body": "Je participerai à distance."},
        {"body": "The meeting is in Seoul and online."},
    ),
    "participant-details": (
        {"body": "Name: Ana Torres\nOrganisation: Quantia\nE-mail: ana@quantia.example"},
        {"body": "Title: Key relay\nSource: Quantia"},
    ),
    "contribution-subject": ({"subject": "Beitrag zur Sitzung 7"}, {"subject": "Sitzung 7"}),
    "submission": (
        {"body": "Please find attached our contribution to meeting 7."},
        {"body": "We would like to submit an input document. How do we do it?"},
    ),
    "sends-file": (
        {"body": "Высылаю документ к собранию 7, он во вложении.", "files": (A_DOCX,)},
        {"body": "Высылаю ссылку, вложения нет: https://share.example/x"},
    ),
    "file-link": (
        {"body": "Revised slides: https://drive.example/d/1x/JCA-QKDN-5-019r1_slides.pptx"},
        {"body": "See https://www.example.org/about for the programme."},
    ),
    "answers-call": (
        {
            "subject": "Re: Call for contributions - meeting 7",
            "body": "Here's ours.",
            "headers": {"In-Reply-To": "<cfc-7@sdo-coord.example>"},
            "files": (A_DOCX,),
        },
        {
            "subject": "Re: Call for contributions - meeting 7",
            "body": "Will send it Monday.",
            "headers": {"In-Reply-To": "<cfc-7@sdo-coord.example>"},
        },
    ),
    "document-attached": (
        {"files": (A_DOCX,)},
        {"files": (("people.csv", b"Name;E-mail\n", "text/csv"),)},
    ),
    "contribution-file": (
        {"files": (("JCA-QKDN-7-contrib-Quantia.docx", b"x", DOCX),)},
        {"files": (("minutes.docx", b"x", DOCX),)},
    ),
    "revision": ({"subject": "Key relay [rev.2]"}, {"subject": "Key relay, second thoughts"}),
    "contribution-words": (
        {"body": "我们的文稿见附件"},
        {"body": "We will discuss this on the list."},
    ),
    "document-link": (
        {"body": "Our contribution is too large to attach: https://share.example/x"},
        {"body": "Join the call: https://meet.example/x"},
    ),
    "liaison-subject": (
        {"subject": "LS from 3GPP SA3 on quantum-safe algorithms"},
        {"subject": "LSB first bit order"},
    ),
    "liaison-for": ({"body": "Title: X\nFor: Information\n"}, {"body": "For discussion.\n"}),
    "reply-deadline": ({"body": "截止日期：2027年5月1日\n"}, {"body": "The deadline is near.\n"}),
    "ls-form": (
        {"body": "来源：CCSA TC5\n标题：密钥管理\n目的：征求意见\n截止日期：2027年5月1日\n"},
        {"body": "Title: Key relay\nSource: Quantia Labs\nContact: ana@quantia.example\n"},
    ),
    "ls-file": (
        {"files": (("ISGQKD(27)LS021_to_JCA.pdf", b"%PDF", "application/pdf"),)},
        {"files": (("Lists.pdf", b"%PDF", "application/pdf"),)},
    ),
    "ls-sent": (
        {"body": "Please find attached a liaison statement from SC 27."},
        {"body": "The secretariat could prepare a short liaison statement."},
    ),
    "liaison-words": ({"body": "随函附上联络函"}, {"body": "A question about the agenda."}),
    "body-sender": (
        {"sender": "TSB <tsbsg17@itu-t-sg17.example>"},
        {"sender": "Ana <ana@quantia.example>"},
    ),
    "ls-document": ({"files": (LS_DOCX,)}, {"files": (("x.docx", docx("Title: Y"), DOCX),)}),
    "bulk": ({"headers": {"Precedence": "bulk"}}, {"headers": {"Precedence": "list"}}),
    "other-list": ({"headers": OTHER_LIST}, {"headers": LIST_COPY}),
    "newsletter": (
        {"body": "Manage your subscription: https://news.example/p"},
        {"body": "unsubscribe"},
    ),
    "calendar": (
        {"files": (("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),)},
        {"files": (A_DOCX,)},
    ),
    "question": (
        {"body": "¿Hay una tarifa reducida?"},
        {"body": "Is there a hotel?", "to": REFLECTOR},
    ),
    "question-subject": ({"subject": "Question about the venue"}, {"subject": "Venue"}),
    "not-yet": (
        {"body": "Before we register, could you clarify the fee?"},
        {"body": "Please register us both."},
    ),
    "already-registered": (
        {"body": "Ya estoy inscrito para la reunión 7."},
        {"body": "Inscríbanme."},
    ),
    "thanks-only": ({"body": "Vielen Dank!\n\nJonas"}, {"body": "Thanks. Please register me too."}),
    "absence": (
        {"body": "I regret that I will not be able to attend meeting 7."},
        {"body": "I will attend meeting 7."},
    ),
    "empty": ({"subject": "", "body": ""}, {"subject": "", "body": "hello"}),
    "lure": (
        {"body": 'Priya shared "contributions.pdf" with you. This link will expire in 24 hours.'},
        {"body": "I shared the draft on the list last week."},
    ),
    "subject-meeting": (
        {"subject": "Registration: JCA-QKDN meeting 7 - Kofi Mensah", "body": "-- \nKofi"},
        {"subject": "Do I need registration for meeting 7?"},
    ),
    "new-ls-thread": (
        {
            "subject": "[JCA-QKDN] Liaison statement from IEC TC 86 on detectors",
            "sender": "Yuki Hamasaki <y.hamasaki@iec-tc86.example>",
            "to": REFLECTOR,
            "headers": LIST_COPY,
        },
        {
            "subject": "Re: [JCA-QKDN] Liaison statement from IEC TC 86 on detectors",
            "sender": "Yuki Hamasaki <y.hamasaki@iec-tc86.example>",
            "to": REFLECTOR,
            "headers": {**LIST_COPY, "In-Reply-To": "<ls1@iec-tc86.example>"},
        },
    ),
    "asks-whether": (
        {"body": "Do remote participants need to register at all, or is the link shared?"},
        {"body": "We need to register two colleagues."},
    ),
    "not-an-input": (
        {"body": "Please find attached the invoice for the coffee breaks.", "files": (A_DOCX,)},
        {"body": "Please find attached our input document.", "files": (A_DOCX,)},
    ),
    "own-ls": (
        {
            "body": "Outgoing liaison statement registered\n\n  Source:  ITU-T JCA-QKDN\n"
            "  To:      ETSI ISG-QKD\n  For:     Information\n"
        },
        {
            "body": "LIAISON STATEMENT\n\n  Source:  ETSI ISG-QKD\n  To:  ITU-T JCA-QKDN\n"
            "  For:     Information\n"
        },
    ),
    "people-table": (
        {"files": (("people.csv", b"Name;E-mail\nAna Torres;ana@q.example\n", "text/csv"),)},
        {"files": (("budget.csv", b"Item;Cost\nCoffee;12\n", "text/csv"),)},
    ),
    "moderation": (
        {
            "subject": "Qkdn-jca post from z@x.example requires approval",
            "body": "As list administrator, your authorization is requested for the posting.",
        },
        {"subject": "Approval of the report", "body": "The report of meeting 6 is approved."},
    ),
    "ls-idiom": (
        {"body": "ETSI TC CYBER would like to inform JCA-QKDN that it has started a work item."},
        {"body": "I would like to inform you that my address has changed."},
    ),
    "recall": (
        {
            "subject": "Recall: Registration for meeting 7",
            "body": 'Joanna Kowalska would like to recall the message, "Registration".',
        },
        {"subject": "Registration for meeting 7", "body": "Please register me."},
    ),
    "receipt-notice": (
        {"body": "Your liaison statement has been registered as LS-IN-2026-118."},
        {"body": "Please register me for meeting 7."},
    ),
    "call-for-papers": (
        {"subject": "CFP: QNetSec 2027", "body": "Paper submission: 15 February 2027"},
        {"subject": "Our paper for meeting 7", "body": "Please find attached our paper."},
    ),
    "away": (
        {"body": "Thank you for your message. I am out of the office until 8 January."},
        {"body": "The office will be closed on 24 December; meeting 7 is unaffected."},
    ),
    "not-addressed": (
        {"subject": "CFP", "to": "undisclosed-recipients:;"},
        {"subject": "CFP"},
    ),
    "robot-sender": (
        {"sender": "DocShare <no-reply@docshare.test>"},
        {"sender": "Reply Team <team@replies.example>"},
    ),
}


def test_every_rule_has_a_case() -> None:
    assert sorted(CASES) == sorted(rule.name for rule in RULES)


def test_every_rule_is_described_and_weighted() -> None:
    for rule in RULES:
        assert rule.description and rule.name == rule.name.lower()
        assert 0 < abs(rule.weight) <= 5, rule.name  # negative: speaks against its kind


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_hits_with_a_reason_and_misses_the_near_miss(name: str) -> None:
    hit, miss = CASES[name]
    found = hits(message(**hit))
    assert name in found, f"{name} should hit {hit}; hits: {found}"
    assert found[name] and not found[name].startswith(" ")
    assert name not in hits(message(**miss)), f"{name} should not hit {miss}"


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("en", "Registration: meeting 7", "Please register me for meeting 7."),
        ("fr", "Inscription à la réunion 7", "Je souhaiterais m'inscrire à la réunion 7."),
        ("es", "Inscripción: reunión 7", "Les escribo para inscribirme en la reunión 7."),
        ("de", "Anmeldung zur Sitzung 7", "Hiermit melde ich mich für die Sitzung 7 an."),
        ("ru", "Регистрация на 7-е заседание", "Прошу зарегистрировать меня."),
        ("zh", "报名：第7次会议", "我希望报名参加第7次会议。"),
        ("ja", "第7回会合 参加登録", "参加登録をお願いいたします。"),
        ("ko", "제7차 회의 참가 신청", "제7차 회의 등록을 요청드립니다."),
    ],
)
def test_registration_cues_in_each_language(language: str, subject: str, body: str) -> None:
    found = hits(message(subject, body))
    assert "registration-subject" in found
    assert "registration-request" in found
    if language != "en":
        assert f"({language}: '" in found["registration-subject"]


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Contribution to meeting 7", "Please find attached our contribution."),
        ("Contribution pour la réunion 7", "Veuillez trouver ci-joint la contribution."),
        ("Contribución para la reunión 7", "Adjuntamos la contribución de Quantia."),
        ("Beitrag zur Sitzung 7", "Anbei unser Beitrag zur Sitzung."),
        ("Вклад к 7-му заседанию", "Направляем вклад к заседанию."),
        ("提交第7次会议文稿", "现提交我公司的文稿。"),
        ("第7回会合への寄書", "寄書を提出いたします。"),
        ("[기고서] 제7차 회의", "기고서를 첨부와 같이 송부드립니다."),
    ],
)
def test_contribution_cues_in_each_language(subject: str, body: str) -> None:
    found = hits(message(subject, body, files=(A_DOCX,)))
    assert {"contribution-subject", "submission", "document-attached"} <= found.keys()
