"""classify never raises and always answers with a known kind, whatever the bytes or words;
screening outranks it; the confidence and the candidates mean what they say."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support_mail import DOCX, POLICY, SITE, docx, message, screened, verdict

from reflector.classify import Verdict, classify
from reflector.errors import ParseError
from reflector.mail.parse import parse
from reflector.values import Kind

KNOWN = set(Kind)
ANSWERABLE = {Kind.REGISTRATION, Kind.CONTRIBUTION, Kind.LIAISON}
FRAGMENTS = [
    b"From: a@b.example\n", b"To: qkdn-jca-request@lists.sdo-coord.example\n",
    b"Subject: =?utf-8?b?5oql5ZCN?= registration\n", b"Subject: LS For: action\n",
    b"Content-Type: multipart/mixed; boundary=z\n", b"\n", b"--z\n",
    b"Content-Type: application/pdf; name=LS.pdf\nContent-Transfer-Encoding: base64\n\n",
    b"JVBERi0xLjQKc3RyZWFtCkJUIChGb3I6IEFjdGlvbikgJyBFVAplbmRzdHJlYW0=\n",
    b"Content-Type: application/vnd.openxmlformats; name=a.docx\n\nPK\x03\x04\x00\x00",
    b"--z--\n", b"Please register me (remote) for meeting 5.\n", b"For: Information\n",
    b"Deadline: 31 February 2027\n", b"1. Ana <a@b.example> - in person\n", b"> quoted\n",
    b"On Mon, X wrote:\n", b"-----Original Message-----\nFrom: x\nSent: y\n", b"\xff\xfe\x00",
]  # fmt: skip


def _check(v: Verdict) -> None:
    assert v.kind in KNOWN
    assert 0.0 <= v.confidence <= 1.0
    assert v.reasons and all(isinstance(r, str) and r for r in v.reasons)
    assert v.candidates and v.candidates[0][0] is v.kind
    assert [p for _, p in v.candidates] == sorted((p for _, p in v.candidates), reverse=True)
    if v.kind is Kind.REGISTRATION:
        assert v.fields["action"] in ("register", "change", "cancel")
        assert all(p["mode"] in ("in-person", "remote", None) for p in v.fields["people"])
    if v.kind is Kind.LIAISON:
        assert v.fields["for"] in ("action", "comment", "information", None)
        deadline = v.fields["deadline"]
        assert deadline is None or (len(deadline) == 10 and deadline[4] == "-")
    if v.kind is Kind.CONTRIBUTION:
        assert isinstance(v.fields["revision"], int) and v.fields["revision"] >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=600),
        st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=20), max_size=30).map(b"".join),
    )
)
def test_any_bytes_through_parse_and_screen_classify_without_raising(raw: bytes) -> None:
    try:
        parsed = parse(raw)
    except ParseError:
        return
    _check(classify(parsed, screened(parsed), SITE))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=st.text(max_size=120), body=st.text(max_size=1500))
def test_any_words_in_subject_and_body_classify_without_raising(subject: str, body: str) -> None:
    subject = "".join(c for c in subject if c.isprintable())
    _check(verdict(subject, body))


def test_screening_outranks_classification() -> None:
    m = message(
        "Automatic reply: Registration for meeting 7",
        "Please register me (remote).",
        headers={"Auto-Submitted": "auto-replied"},
    )
    v = classify(m, screened(m), SITE)
    assert (v.kind, v.confidence, v.fields) == (Kind.AUTO_REPLY, 1.0, {})


def test_a_plain_registration_is_confident_but_not_certain() -> None:
    v = verdict("Registration for meeting 7", "Please register me (remote participation).")
    assert v.kind is Kind.REGISTRATION and 0.9 <= v.confidence <= 0.99
    assert v.reasons[0].endswith("[registration-request]")


def test_an_unclear_message_offers_two_candidates_for_the_secretariat() -> None:
    v = verdict("meeting 7", "I would like to present our paper on key relay, attached.",
                files=(("relay.docx", docx("Title: Key relay"), DOCX),))  # fmt: skip
    assert len(v.candidates) >= 2 and v.candidates[1][1] > 0.01


def test_a_message_with_no_cue_is_other_and_processed_not_held() -> None:
    v = verdict("Hello", "See you soon.")
    assert v.kind is Kind.OTHER and v.confidence >= 0.5
    assert v.reasons[0] == "no rule matched: filed as other"


def test_the_policy_and_site_of_these_tests_match_the_config() -> None:
    assert POLICY.own_list_ids == {"qkdn-jca.lists.sdo-coord.example"}
    assert [m.id for m in SITE.meetings] == ["5", "6", "7"]
