"""What a verdict's fields say: people and modes, meetings, contributions, liaison statements,
in each language; and None where the message does not say."""

from __future__ import annotations

from datetime import date

import pytest
from support_mail import DOCX, SITE, docx, verdict

from reflector.classify.bodies import Body, find_body
from reflector.classify.dates import find_dates
from reflector.classify.meetings import meetings_named
from reflector.values import Kind

# -- registration: people, modes, action, meeting --------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "mode"),
    [
        ("Registration for meeting 7", "Please register me; I will attend in person.", "in-person"),
        (
            "Inscription réunion 7",
            "Je souhaiterais m'inscrire. Je participerai à distance.",
            "remote",
        ),
        (
            "Inscripción reunión 7",
            "Quisiera inscribirme; asistiré de forma presencial.",
            "in-person",
        ),
        ("Anmeldung Sitzung 7", "Bitte melden Sie mich an, ich nehme online teil.", "remote"),
        ("Регистрация, заседание 7", "Прошу зарегистрировать меня, участие очно.", "in-person"),
        ("报名第7次会议", "我希望报名参加，远程参会。", "remote"),
        ("第7回会合 参加登録", "対面で参加登録をお願いいたします。", "in-person"),
        ("제7차 회의 등록", "온라인으로 등록을 요청드립니다.", "remote"),
    ],
)
def test_the_sender_is_registered_with_the_mode_they_name(
    subject: str, body: str, mode: str
) -> None:
    v = verdict(subject, body)
    assert v.kind is Kind.REGISTRATION
    assert v.fields["action"] == "register" and v.fields["meeting"] == "7"
    assert v.fields["people"] == [
        {"name": "Maria Rossi", "email": "maria.rossi@qtech.example", "organisation": None,
         "mode": mode}
    ]  # fmt: skip


def test_several_people_in_a_list_each_with_their_own_mode() -> None:
    v = verdict(
        "Registration: meeting 7, three of us",
        "Please register the following colleagues for meeting 7:\n"
        "1. Ana Torres, Quantia Labs, ana@quantia.example - in person\n"
        "2. Luis Gómez <luis@quantia.example> - in person\n"
        "3. Kenji Sato (佐藤 健), kenji@quantia.example - remote\n",
    )
    people = v.fields["people"]
    assert [(p["name"], p["email"], p["mode"]) for p in people] == [
        ("Ana Torres", "ana@quantia.example", "in-person"),
        ("Luis Gómez", "luis@quantia.example", "in-person"),
        ("Kenji Sato (佐藤 健)", "kenji@quantia.example", "remote"),
    ]
    assert people[0]["organisation"] == "Quantia Labs"
    assert people[1]["organisation"] is None  # not said: not invented


def test_people_from_an_attached_csv() -> None:
    table = "Name;Organisation;E-mail;Mode\nAna Torres;Quantia;ana@quantia.example;remote\n"
    table += "Luis Gómez;Quantia;luis@quantia.example;in person\n"
    v = verdict(
        "Registration for meeting 7",
        "Please register the two colleagues in the attached file.",
        files=(("people.csv", table.encode("utf-8-sig"), "text/csv"),),
    )
    assert [(p["email"], p["mode"]) for p in v.fields["people"]] == [
        ("ana@quantia.example", "remote"),
        ("luis@quantia.example", "in-person"),
    ]


def test_change_of_mode_and_cancellation() -> None:
    change = verdict("Meeting 7", "Please change my registration from remote to in person.")
    assert change.fields["action"] == "change"
    assert change.fields["people"][0]["mode"] == "in-person"
    cancel = verdict("Cancel my registration for meeting 7", "Sorry, I cannot come.")
    assert cancel.kind is Kind.REGISTRATION and cancel.fields["action"] == "cancel"


def test_a_negated_mode_is_not_taken() -> None:
    v = verdict(
        "Registration meeting 7", "Please register me. I can't attend in person, so remote."
    )
    assert v.fields["people"][0]["mode"] == "remote"


def test_the_meeting_is_none_when_the_message_does_not_say() -> None:
    v = verdict("Registration", "Please register me (remote).")
    assert v.kind is Kind.REGISTRATION and v.fields["meeting"] is None


def test_the_meeting_by_date_place_or_number_in_any_language() -> None:
    assert meetings_named("le 16 juin 2027 à Genève", SITE) == ["7"]
    assert meetings_named("JCA-QKDN第6次会议", SITE) == ["6"]
    assert meetings_named("제5차 회의", SITE) == ["5"]
    assert meetings_named("the Seoul meeting", SITE) == ["5"]
    assert meetings_named("meeting 12", SITE) == []


def test_two_meetings_asked_in_one_message() -> None:
    v = verdict(
        "Registration for meetings 6 and 7",
        "Please register me for meeting 6 as a remote participant.\n\n"
        "Please also register me for meeting 7 in person in Geneva.",
    )
    assert v.fields["meeting"] == "6" and v.fields["people"][0]["mode"] == "remote"
    assert v.fields["other_meetings"] == [{"meeting": "7", "mode": "in-person"}]


# -- contribution --------------------------------------------------------------------------


def test_contribution_fields_from_the_mail() -> None:
    v = verdict(
        "Contribution to meeting 7: key relay latency [rev.2]",
        "Please find attached Quantia's contribution.\n\nTitle: Key relay latency in metro "
        "networks\nSource: Quantia Labs\n\nSlides: https://share.example/k.pptx",
        files=(("k-relay-rev2.docx", b"PK\x03\x04", DOCX),),
    )
    assert v.kind is Kind.CONTRIBUTION
    f = v.fields
    assert (f["meeting"], f["title"], f["source"], f["revision"]) == (
        "7", "Key relay latency in metro networks", "Quantia Labs", 2,
    )  # fmt: skip
    assert f["links"] == ["https://share.example/k.pptx"]
    assert [(x["name"], x["content_type"]) for x in f["files"]] == [("k-relay-rev2.docx", DOCX)]
    assert len(f["files"][0]["sha256"]) == 64


def test_contribution_fields_from_the_cover_page_when_the_mail_is_terse() -> None:
    cover = docx("INPUT DOCUMENT\nSource: MetroQ AG\nTitle: Key distribution in metro networks")
    v = verdict("input", "Our input for meeting 7 is attached.", files=(("a.docx", cover, DOCX),))
    assert v.fields["title"] == "Key distribution in metro networks"
    assert v.fields["source"] == "MetroQ AG" and v.fields["revision"] == 0


def test_a_person_is_not_taken_for_the_source() -> None:
    v = verdict(
        "Contribution to meeting 7",
        "Attached is Marta's contribution.",
        files=(("x.docx", b"PK", DOCX),),
        headers={"Cc": "Marta Kowalczyk <marta@quantia.example>"},
    )
    assert v.fields["source"] is None


# -- liaison -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "purpose", "deadline"),
    [
        ("For: Action\nDeadline: 15 November 2027", "action", "2027-11-15"),
        ("Purpose: For comment\nPlease reply by 2027-05-01", "comment", "2027-05-01"),
        ("Pour : information\nÉchéance : aucune", "information", None),
        ("目的：征求意见（For comment）\n截止日期：2027年12月20日", "comment", "2027-12-20"),
        ("Цель: для сведения", "information", None),
        ("It asks JCA-QKDN for action by 31 January 2027.", "action", "2027-01-31"),
    ],
)
def test_liaison_for_and_deadline(body: str, purpose: str, deadline: str | None) -> None:
    v = verdict(
        "LS from ETSI ISG-QKD to ITU-T JCA-QKDN",
        f"Please find attached a liaison statement.\n\n{body}\n",
        files=(("LS-042.pdf", b"%PDF-1.4", "application/pdf"),),
    )
    assert v.kind is Kind.LIAISON
    assert (v.fields["for"], v.fields["deadline"]) == (purpose, deadline)
    assert (v.fields["source_body"], v.fields["group"]) == ("ETSI", "ISG-QKD")


def test_liaison_fields_from_the_attached_statement_when_the_mail_is_empty() -> None:
    statement = docx(
        "LIAISON STATEMENT\nFrom: IEEE QNWG\nTitle: Terminology\nFor: Information\nDeadline: none"
    )
    v = verdict("IEEE QNWG - document for JCA-QKDN", "Please find attached.",
                files=(("IEEE-QNWG-LS-2027-01.docx", statement, DOCX),))  # fmt: skip
    assert v.kind is Kind.LIAISON
    f = v.fields
    assert (f["source_body"], f["group"], f["title"], f["for"], f["deadline"]) == (
        "IEEE", "QNWG", "Terminology", "information", None,
    )  # fmt: skip


def test_liaison_says_nothing_it_was_not_told() -> None:
    v = verdict("Liaison statement from CCSA TC5", "Please find attached our LS.",
                files=(("CCSA-LS.pdf", b"%PDF-1.4", "application/pdf"),))  # fmt: skip
    assert (v.fields["for"], v.fields["deadline"], v.fields["contact"]) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("ISO/IEC JTC 1/SC 27", Body("ISO/IEC JTC 1", "SC 27")),
        ("CEN-CLC/JTC 22", Body("CEN-CENELEC", "JTC 22")),
        ("IEC TC 86", Body("IEC", "TC 86")),
        ("ITU-T Study Group 17", Body("ITU-T", "SG17")),
        ("IRTF Quantum Internet Research Group", Body("IRTF", "QIRG")),
        ("CCSA TC5 WG7", Body("CCSA", "TC5")),
        ("3GPP SA3", Body("3GPP", "SA3")),
    ],
)
def test_bodies_get_their_canonical_names(text: str, body: Body) -> None:
    assert find_body(text) == body


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15 November 2027", date(2027, 11, 15)),
        ("November 15, 2027", date(2027, 11, 15)),
        ("15 novembre 2027", date(2027, 11, 15)),
        ("15 de noviembre de 2027", date(2027, 11, 15)),
        ("15. November 2027", date(2027, 11, 15)),
        ("15 ноября 2027 г.", date(2027, 11, 15)),
        ("2027年11月15日", date(2027, 11, 15)),
        ("2027년 11월 15일", date(2027, 11, 15)),
        ("15.11.2027", date(2027, 11, 15)),
        ("2027-11-15", date(2027, 11, 15)),
    ],
)
def test_dates_in_each_language(text: str, day: date) -> None:
    assert [d for _, d in find_dates(text)] == [day]


def test_an_ambiguous_numeric_date_is_not_guessed() -> None:
    assert find_dates("reply by 03/04/2027") == []


# -- what unseen mail taught (tests/classify/written/) -----------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "mode"),
    [
        # a change asked for: the mode after "change ... to" wins over the one registered
        ("Re: Registration confirmed - meeting 7",
         "I am registered in person, but my visa is late. So please change my participation "
         "to remote/online. I will join by Zoom.", "remote"),
        # the other mode said not to be planned, after the word
        ("Регистрация, заседание 7", "Просим зарегистрировать для удалённого участия. Очное "
         "присутствие не планируется.", "remote"),
        # the mode only in the subject
        ("Remote registration - Novak, Petr - JCA-QKDN meeting 7", "--\nPetr", "remote"),
        # a Japanese comma before the mode is a clause break, not "Geneva、online"
        ("第7回会合 参加登録",
         "第7回会合に、オンラインで参加させていただきたく、登録をお願いいたします。", "remote"),
    ],
)  # fmt: skip
def test_modes_as_unseen_mail_writes_them(subject: str, body: str, mode: str) -> None:
    v = verdict(subject, body)
    assert v.kind is Kind.REGISTRATION, v.reasons
    assert [p["mode"] for p in v.fields["people"]] == [mode]


def test_two_lines_of_a_name_and_an_address_are_two_people() -> None:
    v = verdict(
        "Meeting 7 - registration of two participants",
        "Please register the following two colleagues for meeting 7:\n\n"
        "   Dr. Sabine Kraus        sabine.kraus@alpenquant.example\n"
        "   Mr. Matteo Rossi        matteo.rossi@alpenquant.example\n\nBoth will travel to Geneva.",
    )
    assert [(p["email"], p["mode"]) for p in v.fields["people"]] == [
        ("sabine.kraus@alpenquant.example", "in-person"),
        ("matteo.rossi@alpenquant.example", "in-person"),
    ]


def test_a_liaison_statement_forwarded_as_an_attached_message() -> None:
    inner = (
        b"From: Grace Whitman <g.whitman@ieee-qcn.example>\nSubject: IEEE QCN-SC LS\n\n"
        b"QCN-SC requests JCA-QKDN to identify test specifications.\n"
        b"This liaison is for ACTION. We kindly ask for a reply by 15 January 2027.\n"
    )
    v = verdict("Fwd: IEEE QCN-SC liaison statement to ITU-T JCA-QKDN",
                "FYI - this LS came to our company address by mistake.",
                files=(("ls.eml", inner, "message/rfc822"),))  # fmt: skip
    assert v.kind is Kind.LIAISON, v.reasons
    assert (v.fields["for"], v.fields["deadline"]) == ("action", "2027-01-15")


def test_liaison_fields_written_as_requests_in_the_attached_statement() -> None:
    statement = docx(
        "LIAISON STATEMENT to ITU-T JCA-QKDN\nPurpose: For comment\n"
        "Comments requested by March 1st, 2027\nContact: tc86-sec@iec-tc86.example"
    )
    v = verdict("FW: Document from TC 86", "",
                files=(("IEC_TC86_LS_to_JCA-QKDN.docx", statement, DOCX),))  # fmt: skip
    assert (v.fields["for"], v.fields["deadline"]) == ("comment", "2027-03-01")


def test_the_date_of_the_ls_answered_is_not_a_deadline() -> None:
    v = verdict("Reply LS from ETSI ISG QKD on the roadmap",
                "Please find attached a reply LS in response to your LS of 20 October 2026. "
                "It is sent for information; no reply is expected.",
                files=(("Reply_LS_JCA-QKDN.docx", docx("Reply LS"), DOCX),))  # fmt: skip
    assert v.kind is Kind.LIAISON
    assert (v.fields["for"], v.fields["deadline"]) == ("information", None)


def test_a_table_that_splits_the_name_in_its_own_language_and_charset() -> None:
    table = "Cognome;Nome;Ente;E-mail;Modalità\n"
    table += "Bianchi;Lorenzo;IQR Torino;l.bianchi@iqr.example;in presenza\n"
    table += "Ferri;Alessandro;IQR Torino;a.ferri@iqr.example;da remoto\n"
    v = verdict("Delegazione IQR - riunione 7", "Vi preghiamo di registrare i partecipanti.",
                files=(("delegazione.csv", table.encode("latin-1"), "text/csv"),))  # fmt: skip
    assert [(p["name"], p["organisation"], p["mode"]) for p in v.fields["people"]] == [
        ("Lorenzo Bianchi", "IQR Torino", "in-person"),
        ("Alessandro Ferri", "IQR Torino", "remote"),
    ]


def test_list_items_wrapped_by_the_mail_client_and_slash_separated() -> None:
    wrapped = verdict(
        "Inscription - réunion n°7",
        "Je souhaiterais inscrire deux personnes à la réunion 7 :\n\n"
        "- Claire Dubois (claire.dubois@hexatel.example) - participation en\n"
        "présentiel à Genève\n"
        "- Jean-Luc Moreau (jean-luc.moreau@hexatel.example) - participation à\n"
        "distance\n\nMerci.",
    )
    assert [p["mode"] for p in wrapped.fields["people"]] == ["in-person", "remote"]
    slashed = verdict(
        "[등록] 제7차 회의 현장 참석자 명단",
        "아래 2명이 현장 참석하고자 하오니 등록 부탁드립니다.\n\n"
        "1. 최은정 / 선임연구원 / ej.choi@kqci.example\n"
        "2. 한도윤 / 책임연구원 / dy.han@kqci.example\n",
    )
    assert [(p["name"], p["email"]) for p in slashed.fields["people"]] == [
        ("최은정", "ej.choi@kqci.example"),
        ("한도윤", "dy.han@kqci.example"),
    ]
