"""The word lists: the look-ahead that makes them fast never changes what they match, and cue
words are shown with their language."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reflector.classify import lexicon as lx
from reflector.classify.lexicon import cue, fast, first_chars

PATTERNS = {
    name: value
    for name, value in vars(lx).items()
    if isinstance(value, re.Pattern) and value.pattern != lx.UNLED.get(value.pattern, value.pattern)
}
WORDS = [
    "register", "registration", "inscription", "m'inscrire", "anmeldung", "melde mich an",
    "регистрация", "报名", "参加登録", "등록", "remote", "in person", "vor ort", "à distance",
    "contribution", "beitrag", "寄書", "liaison statement", "ls", "for: action", "deadline:",
    "thank you", "unsubscribe", "?", " ", "\n", "not ", "instead of ", "and online", "é", "the",
    "switch me to ", "on-site", "auf ", "online-teilnahme ändern", "に変更", "改为", "count me in",
    "anbei", "во вложении", "вторую редакцию", "please find attached", "document", "添付",
    "x", "1", "_", "-", "的", "zdalnie", "замена", "sustitución",
]  # fmt: skip


def plain(pattern: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(lx.UNLED[pattern.pattern], pattern.flags)


def test_the_long_lists_are_sped_up() -> None:
    assert {"REGISTER", "REGISTER_REQUEST", "REMOTE", "IN_PERSON", "SUBMIT", "LIAISON"} <= set(
        PATTERNS
    )
    # words that start at a word boundary are tried only where a word starts
    assert lx.REMOTE.pattern.startswith(r"(?:\b(?=[")
    assert lx.CHANGE.search("请更改我的报名") and lx.REMOTE.search("我将线上参会")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=25).map("".join))
def test_the_look_ahead_changes_no_match(text: str) -> None:
    for name, pattern in PATTERNS.items():
        a, b = pattern.search(text), plain(pattern).search(text)
        assert (a and a.span()) == (b and b.span()), name


def test_first_chars_gives_up_where_it_cannot_know() -> None:
    assert first_chars(r"\w+ing") is None
    assert first_chars(r"(?:a)?") is None  # can match the empty string
    assert fast(r".x").pattern == ".x"
    assert sorted(first_chars(r"ab|c", re.IGNORECASE) or []) == ["A", "C", "a", "c"]


@pytest.mark.parametrize(
    ("word", "shown"),
    [
        ("inscription", "fr: 'inscription'"),
        ("inscripción", "es: 'inscripción'"),
        ("anmeldung", "de: 'anmeldung'"),
        ("зарегистрировать", "ru: 'зарегистрировать'"),
        ("报名", "zh: '报名'"),
        ("参加登録", "ja: '参加登録'"),
        ("등록", "ko: '등록'"),
        ("please register", "'please register'"),
    ],
)
def test_cue_words_name_their_language(word: str, shown: str) -> None:
    assert cue(word) == shown
