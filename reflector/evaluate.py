"""`reflector eval`: how well classification does on labelled mail (reads files; no network).

    report = evaluate(directory, labels_csv, policy)
    report.macro_f1, report.unsafe, report.as_json()

labels.csv is `file,label,notes` (RFC 4180, UTF-8; `file` relative to the directory), label one
of registration, contribution, liaison, post, command, other. Every message goes through the
pipeline's own `understand` (parse, screen, classify, hold), so the figures are what the
service would do. Kinds from screening (auto-reply, bounce, ...) count as `other`.

A miss is *unsafe* when a message that must not be answered (label post/command/other, which
includes every auto-reply, bounce and receipt) comes out as registration, contribution or
liaison, is not held, and screening did not already forbid a reply: that message would be
answered. `wrongly_answerable` counts the same mistakes whether or not they would be answered.

Extraction is scored where the notes give the truth: `mode=`, `persons=`, `meeting=` for
registrations, `meeting=` for contributions, `For:`, the deadline and `source=` for liaisons.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflector.classify import evidence
from reflector.classify.bodies import find_body
from reflector.classify.dates import first_date
from reflector.classify.model import KINDS, Model, fit, prior
from reflector.config import Settings
from reflector.errors import ReflectorError
from reflector.mail.parse import parse
from reflector.mail.screen import screen
from reflector.understand import Policy, policy_from_settings, understand
from reflector.values import Kind, MessageStatus

LABELS = tuple(k.value for k in KINDS)


class LabelsError(ReflectorError):
    """labels.csv or a file it lists cannot be used; the message names file, line and value."""


ANSWERABLE = frozenset({"registration", "contribution", "liaison"})


@dataclass(frozen=True)
class Labelled:
    file: str  # relative to the directory
    label: str
    notes: str


@dataclass
class Case:
    file: str
    truth: str
    kind: str  # what classification said (screening kinds verbatim)
    counted: str  # kind as one of the six labels
    confidence: float
    status: str
    no_reply: bool
    reasons: list[str]
    fields: dict[str, Any]
    extraction: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key -> (want, got)

    @property
    def unsafe(self) -> bool:
        return (
            self.counted in ANSWERABLE
            and self.truth not in ANSWERABLE
            and self.status == MessageStatus.PROCESSED
            and not self.no_reply
        )


def read_labels(path: Path) -> list[Labelled]:
    """Rows of labels.csv; a bad row is a LabelsError naming the file, line and value."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise LabelsError(f"{path}: {error.strerror or error}") from error
    except (UnicodeDecodeError, csv.Error) as error:
        raise LabelsError(f"{path}: not a UTF-8 CSV file ({error})") from error
    problems, found = [], []
    for line, row in enumerate(rows, start=2):
        name, label = (row.get("file") or "").strip(), (row.get("label") or "").strip()
        if not name or label not in LABELS:
            problems.append(
                f"{path}: line {line}: label {label!r} for {name!r}: expected a file name and "
                "one of " + ", ".join(LABELS)
            )
            continue
        found.append(Labelled(name, label, row.get("notes") or ""))
    if problems:
        raise LabelsError("\n".join(problems))
    if not found:
        raise LabelsError(f"{path}: no rows (expected a header file,label,notes and a row a file)")
    return found


def _counted(kind: Kind | None) -> str:
    return kind.value if kind is not None and kind.value in LABELS else "other"


def run_case(directory: Path, item: Labelled, policy: Policy) -> Case:
    path = directory / item.file
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LabelsError(f"{path}: {error.strerror or error} (listed in labels.csv)") from error
    return case_of(raw, item, policy)


def case_of(raw: bytes, item: Labelled, policy: Policy) -> Case:
    """How the pipeline reads `raw`, against the label `item` gives it."""
    outcome = understand(raw, policy)
    verdict = outcome.verdict
    case = Case(
        file=item.file,
        truth=item.label,
        kind=verdict.kind.value if verdict else "none",
        counted=_counted(verdict.kind if verdict else None),
        confidence=verdict.confidence if verdict else 0.0,
        status=outcome.status.value,
        no_reply=bool(outcome.screening and outcome.screening.no_reply),
        reasons=list(verdict.reasons) if verdict else [outcome.reason],
        fields=dict(verdict.fields) if verdict else {},
    )
    if case.counted == item.label:
        case.extraction = score_fields(item, case.fields)
    return case


# -- extraction -----------------------------------------------------------------------------

_NOTE = re.compile(r"(?:^|[;|,(]\s*)(mode|persons|meeting|source)=([^;|]+)")
_FOR_NOTE = re.compile(r"\bFor:\s*(action|comment|information)", re.IGNORECASE)
_DEADLINE_NOTE = re.compile(r"\b(no deadline|deadline\s+\d[^;|]*)", re.IGNORECASE)


def expected_fields(item: Labelled) -> dict[str, Any]:
    """What the notes say the fields should be (only what they say).

    >>> expected_fields(Labelled("r.eml", "registration", "x; mode=in-person+remote; persons=3;"
    ...                          " meeting=5 and 6. | lang=en"))
    {'modes': ['in-person', 'remote'], 'persons': 3, 'meetings': ['5', '6']}
    """
    notes = item.notes.split("| lang=")[0]
    found = {key: value.strip() for key, value in _NOTE.findall(notes)}
    want: dict[str, Any] = {}
    if item.label == "registration":
        if "mode" in found:
            said = re.sub(r"\([^)]*\)", " ", found["mode"])  # "remote (changed from in-person)"
            want["modes"] = sorted(set(re.findall(r"in-person|remote", said)))
        if m := re.match(r"\d+", found.get("persons", "")):
            want["persons"] = int(m.group(0))
    if item.label in ("registration", "contribution") and "meeting" in found:
        want["meetings"] = sorted(set(re.findall(r"\d+", found["meeting"])))
    if item.label == "liaison":
        if m := _FOR_NOTE.search(notes):
            want["for"] = m.group(1).lower()
        if m := _DEADLINE_NOTE.search(notes):
            day = first_date(m.group(1))
            want["deadline"] = day.isoformat() if day else None
        if "source" in found and (body := find_body(found["source"])):
            want["source_body"] = body.name
    return want


def got_fields(label: str, fields: dict[str, Any]) -> dict[str, Any]:
    people = fields.get("people") or []
    others = fields.get("other_meetings") or []
    if label == "registration":
        modes = {p.get("mode") for p in people} | {o.get("mode") for o in others}
        meetings = {fields.get("meeting")} | {o.get("meeting") for o in others}
        return {
            "modes": sorted(m for m in modes if m),
            "persons": len(people),
            "meetings": sorted(m for m in meetings if m),
        }
    if label == "contribution":
        return {"meetings": [fields["meeting"]] if fields.get("meeting") else []}
    if label == "liaison":
        return {k: fields.get(k) for k in ("for", "deadline", "source_body")}
    return {}


def score_fields(item: Labelled, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    want = expected_fields(item)
    got = got_fields(item.label, fields)
    return {key: (value, got.get(key)) for key, value in want.items()}


# -- the report -----------------------------------------------------------------------------


@dataclass
class Report:
    cases: list[Case]
    cross_validation: dict[str, Any] | None = None

    @property
    def confusion(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {label: Counter() for label in LABELS}
        for case in self.cases:
            table[case.truth][case.counted] += 1
        return table

    def per_kind(self) -> dict[str, dict[str, float]]:
        return per_kind([(c.truth, c.counted) for c in self.cases])

    @property
    def macro_f1(self) -> float:
        return macro_f1([(c.truth, c.counted) for c in self.cases])

    @property
    def misses(self) -> list[Case]:
        return [c for c in self.cases if c.truth != c.counted]

    @property
    def unsafe(self) -> list[Case]:
        return [c for c in self.cases if c.unsafe]

    @property
    def wrongly_answerable(self) -> list[Case]:
        return [c for c in self.cases if c.counted in ANSWERABLE and c.truth not in ANSWERABLE]

    def extraction(self) -> dict[str, dict[str, Any]]:
        scores: dict[str, dict[str, Any]] = {}
        for case in self.cases:
            for key, (want, got) in case.extraction.items():
                entry = scores.setdefault(key, {"right": 0, "total": 0, "wrong": []})
                entry["total"] += 1
                if want == got:
                    entry["right"] += 1
                else:
                    entry["wrong"].append({"file": case.file, "want": want, "got": got})
        return scores

    def as_json(self) -> dict[str, Any]:
        return {
            "messages": len(self.cases),
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(
                sum(c.truth == c.counted for c in self.cases) / max(1, len(self.cases)), 4
            ),
            "per_kind": self.per_kind(),
            "confusion": {t: dict(row) for t, row in self.confusion.items()},
            "unsafe": [c.file for c in self.unsafe],
            "wrongly_answerable": [c.file for c in self.wrongly_answerable],
            "held": [c.file for c in self.cases if c.status == MessageStatus.HELD],
            "misses": [_miss(c) for c in self.misses],
            "extraction": self.extraction(),
            "cross_validation": self.cross_validation,
        }


def _miss(case: Case) -> dict[str, Any]:
    return {
        "file": case.file,
        "label": case.truth,
        "kind": case.kind,
        "confidence": case.confidence,
        "status": case.status,
        "reasons": case.reasons,
    }


def per_kind(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, float]]:
    result = {}
    for label in LABELS:
        tp = sum(t == label and p == label for t, p in pairs)
        fp = sum(t != label and p == label for t, p in pairs)
        fn = sum(t == label and p != label for t, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 1.0 if not fn else 0.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    return result


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """Mean F1 over the labels that occur (as truth or as prediction); all six on a full set.

    >>> macro_f1([("post", "post"), ("other", "post")])
    0.3333
    """
    seen = {label for pair in pairs for label in pair}
    scores = [s["f1"] for label, s in per_kind(pairs).items() if label in seen]
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def site_policy(settings: Settings) -> Policy:
    """The pipeline's policy for `settings`, with each meeting's place for the classifier."""
    policy = policy_from_settings(settings)
    places = {m.id: m.place for m in settings.meetings}
    meetings = tuple(
        dataclasses.replace(m, place=places.get(m.id, "")) for m in policy.site.meetings
    )
    return dataclasses.replace(policy, site=dataclasses.replace(policy.site, meetings=meetings))


def evaluate(directory: Path, labels: Path, policy: Policy, *, folds: int = 0) -> Report:
    items = read_labels(labels)
    report = Report([run_case(directory, item, policy) for item in items])
    if folds:
        report.cross_validation = cross_validate(directory, items, policy, folds)
    return report


# -- the learned weights: training data and cross-validation ---------------------------------


@dataclass(frozen=True)
class Example:
    file: str
    label: str
    hits: tuple[str, ...]  # rule names
    fixed: str | None  # the counted kind when screening decided (no model involved)


def examples(directory: Path, items: Sequence[Labelled], policy: Policy) -> list[Example]:
    """Rule hits per labelled message, as `fit` takes them."""
    found = []
    for item in items:
        raw = (directory / item.file).read_bytes()
        try:
            message = parse(raw, max_bytes=policy.max_message_bytes)
        except Exception:
            found.append(Example(item.file, item.label, (), "other"))
            continue
        screening = screen(message, policy.screen)
        if screening.kind is not None:
            found.append(Example(item.file, item.label, (), _counted(screening.kind)))
            continue
        hits = tuple(rule.name for rule, _ in evidence(message, screening, policy.site))
        found.append(Example(item.file, item.label, hits, None))
    return found


def trainable(data: Sequence[Example]) -> list[tuple[Sequence[str], Kind]]:
    return [(e.hits, Kind(e.label)) for e in data if e.fixed is None]


def predict(model: Model, example: Example) -> str:
    if example.fixed is not None:
        return example.fixed
    scores = model.probabilities(example.hits)
    return max(sorted(scores, key=lambda k: k.value), key=scores.__getitem__).value


def cross_validate(
    directory: Path, items: Sequence[Labelled], policy: Policy, folds: int
) -> dict[str, Any]:
    """k-fold cross-validated macro-F1 of the trained model, beside the untrained prior's."""
    return cross_validate_examples(examples(directory, items, policy), folds)


def cross_validate_examples(data: Sequence[Example], folds: int) -> dict[str, Any]:
    """As `cross_validate`, on examples already read (file names must be unique).

    Folds are stratified and deterministic: the i-th message of each label (in file order)
    goes to fold i mod k. k >= the number of messages is leave-one-out.
    """
    k = max(2, min(folds, len(data)))
    fold_of: dict[str, int] = {}
    for label in LABELS:
        for i, e in enumerate(sorted((e for e in data if e.label == label), key=lambda e: e.file)):
            fold_of[e.file] = i % k
    predicted: dict[str, str] = {}
    for fold in range(k):
        training = [e for e in data if fold_of[e.file] != fold]
        held_out = [e for e in data if fold_of[e.file] == fold]
        if not held_out:
            continue
        model = fit(trainable(training))
        predicted.update({e.file: predict(model, e) for e in held_out})
    base = prior()
    cv_pairs = [(e.label, predicted[e.file]) for e in data]
    prior_pairs = [(e.label, predict(base, e)) for e in data]
    return {
        "folds": k,
        "trained_macro_f1": macro_f1(cv_pairs),
        "prior_macro_f1": macro_f1(prior_pairs),
        "trained_misses": [
            {"file": e.file, "label": e.label, "kind": predicted[e.file]}
            for e in data
            if predicted[e.file] != e.label
        ],
    }


# -- text --------------------------------------------------------------------------------------


def format_report(report: Report) -> str:
    """The report as a person reads it: tables first, then every miss with its reasons."""
    out = [f"{len(report.cases)} messages; macro-F1 {report.macro_f1:.3f} over the 6 labels "
           "(screening kinds count as other)", ""]  # fmt: skip
    out.append(f"{'kind':<13} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>4}")
    for label, s in report.per_kind().items():
        out.append(
            f"{label:<13} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1']:>6.3f} "
            f"{s['support']:>4}"
        )
    out += ["", "confusion (rows: label, columns: classified as)"]
    heads = [label[:5] for label in LABELS]
    out.append(f"{'':<13}" + "".join(f"{h:>7}" for h in heads))
    for label, row in report.confusion.items():
        out.append(f"{label:<13}" + "".join(f"{row.get(c, 0):>7}" for c in LABELS))
    unsafe, wrong = report.unsafe, report.wrongly_answerable
    out += [
        "",
        f"unsafe (would answer a message that must not be answered): {len(unsafe)}"
        + "".join(f"\n  {c.file}" for c in unsafe),
        f"not answerable but classified as registration/contribution/liaison: {len(wrong)}",
        f"held for the secretariat: {sum(c.status == MessageStatus.HELD for c in report.cases)}",
    ]
    extraction = report.extraction()
    if extraction:
        out += ["", "extraction (where labels.csv notes give the truth)"]
        for key, entry in sorted(extraction.items()):
            out.append(f"  {key:<12} {entry['right']:>3}/{entry['total']:<3}")
            for wrong_one in entry["wrong"]:
                out.append(
                    f"    {wrong_one['file']}: want {wrong_one['want']}, got {wrong_one['got']}"
                )
    cv = report.cross_validation
    if cv:
        out += [
            "",
            f"cross-validation ({cv['folds']} folds, stratified): trained weights macro-F1 "
            f"{cv['trained_macro_f1']:.3f}; hand-set prior alone {cv['prior_macro_f1']:.3f}",
        ]
        out += [f"  {m['file']}: {m['label']} -> {m['kind']}" for m in cv["trained_misses"]]
    out += ["", f"misses: {len(report.misses)}"]
    for case in report.misses:
        out.append(
            f"  {case.file}: {case.truth} -> {case.kind} ({case.confidence:.2f}, {case.status})"
        )
        out += [f"      {reason}" for reason in case.reasons]
    return "\n".join(out)
