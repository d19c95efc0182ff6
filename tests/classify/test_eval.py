"""`reflector eval` and the figures it gives: on the shared labelled corpus (skipped without it
locally, a failure in CI), on the fresh messages written for these tests, and as a command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reflector.config import load_settings
from reflector.evaluate import (
    Labelled,
    LabelsError,
    Report,
    cross_validate,
    evaluate,
    expected_fields,
    read_labels,
    site_policy,
)

from corpus import corpus_dir

REPO = Path(__file__).resolve().parents[2]
FRESH = Path(__file__).resolve().parent / "fresh"
WRITTEN = Path(__file__).resolve().parent / "written"
POLICY = site_policy(load_settings(REPO / "config.toml", require_secrets=False))
# The bar of issue 6: a keyword classifier reaches about 0.94 and a TF-IDF model about 0.95.
FLOOR = 0.95


def _assert_good(report: Report, floor: float) -> None:
    misses = "\n".join(f"{c.file}: {c.truth} -> {c.kind} {c.reasons}" for c in report.misses)
    assert report.macro_f1 >= floor, misses
    assert [c.file for c in report.unsafe] == []
    assert [c.file for c in report.wrongly_answerable] == []
    for key in ("modes", "persons", "for", "deadline", "meetings", "source_body"):
        wrong = report.extraction().get(key, {"wrong": []})["wrong"]
        assert wrong == [], f"{key}: {wrong}"


def test_labelled_corpus_meets_the_bar_with_no_unsafe_error() -> None:
    labelled = corpus_dir("labelled")
    report = evaluate(labelled, labelled / "labels.csv", POLICY)
    assert len(report.cases) == 90
    _assert_good(report, FLOOR)
    assert report.macro_f1 >= 0.97  # the target, not only the floor
    assert {key for key in report.extraction()} >= {"modes", "persons", "for", "deadline"}


def test_learned_weights_hold_up_in_cross_validation() -> None:
    labelled = corpus_dir("labelled")
    cv = cross_validate(labelled, read_labels(labelled / "labels.csv"), POLICY, folds=5)
    assert cv["trained_macro_f1"] >= FLOOR, cv["trained_misses"]


def test_shipped_weights_are_what_the_training_mail_gives() -> None:
    corpus_dir("labelled")  # part of the training mail
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "train_classifier.py"), "--check"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in WRITTEN.glob("set*")))
def test_mail_written_without_the_rules_meets_the_bar(name: str) -> None:
    # Each set was written by someone who had not seen the rules; it was measured blind once
    # (docs/classification.md gives the figures) and is training mail now.
    report = evaluate(WRITTEN / name, WRITTEN / name / "labels.csv", POLICY)
    misses = "\n".join(f"{c.file}: {c.truth} -> {c.kind} {c.reasons}" for c in report.misses)
    assert report.macro_f1 >= FLOOR, misses
    assert [c.file for c in report.unsafe] == []
    assert [c.file for c in report.wrongly_answerable] == []


def test_fresh_messages_in_eight_languages() -> None:
    report = evaluate(FRESH, FRESH / "labels.csv", POLICY)
    assert len(report.cases) >= 25
    _assert_good(report, FLOOR)


def test_notes_give_the_expected_fields() -> None:
    registration = Labelled(
        "r.eml", "registration", "mode=remote (changed from in-person); persons=1"
    )
    assert expected_fields(registration) == {"modes": ["remote"], "persons": 1}
    liaison = Labelled("l.eml", "liaison", "source=CEN-CENELEC JTC 22; For: action; deadline 15 "
                       "November 2026; docx")  # fmt: skip
    assert expected_fields(liaison) == {
        "for": "action", "deadline": "2026-11-15", "source_body": "CEN-CENELEC",
    }  # fmt: skip
    no_deadline = Labelled("l.eml", "liaison", "For: information; no deadline; arrives on deadline"
                           " day for inputs (2 Oct 2026)")  # fmt: skip
    assert expected_fields(no_deadline) == {"for": "information", "deadline": None}


def test_a_bad_labels_file_names_the_line(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label,notes\na.eml,spam,\n")
    with pytest.raises(LabelsError, match=r"line 2: label 'spam' for 'a.eml': expected"):
        read_labels(labels)


def _reflector(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reflector", *args],
        cwd=REPO, capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )  # fmt: skip


def test_eval_command_prints_the_tables_and_json() -> None:
    text = _reflector("eval", str(FRESH))
    assert text.returncode == 0, text.stderr
    assert "macro-F1 1.000" in text.stdout or "macro-F1 0.9" in text.stdout
    assert "confusion (rows: label, columns: classified as)" in text.stdout
    assert "unsafe (would answer a message that must not be answered): 0" in text.stdout
    data = json.loads(_reflector("eval", str(FRESH), "--labels", str(FRESH / "labels.csv"),
                                 "--json").stdout)  # fmt: skip
    assert data["messages"] >= 25 and data["unsafe"] == []
    assert set(data["per_kind"]) == {"registration", "contribution", "liaison", "post", "command",
                                     "other"}  # fmt: skip


def test_eval_command_exit_codes(tmp_path: Path) -> None:
    assert _reflector("eval", str(FRESH), "--fail-under", "1.01").returncode == 1
    assert _reflector("eval", str(FRESH), "--fail-under", "0.5").returncode == 0
    missing = _reflector("eval", str(tmp_path))
    assert missing.returncode == 2 and "labels.csv" in missing.stderr
    assert _reflector("eval", str(tmp_path / "nope")).returncode == 2
