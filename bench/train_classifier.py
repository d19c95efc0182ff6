"""Train the classifier's rule weights on labelled mail and write reflector/classify/weights.json.

    .venv/bin/python bench/train_classifier.py ../shared/corpus/labelled tests/classify/written/* \
        tests/classify/fresh
    .venv/bin/python bench/train_classifier.py DIR [DIR ...] --check          # compare, no write

Each DIR holds .eml files and a labels.csv (file,label,notes). The shipped weights are trained
on all of the directories above (`TRAINING` below, what the test checks): the shared
development corpus, the sets in tests/classify/written/ (mail written by people who had not
seen the rules) and tests/classify/fresh/.

The model (reflector/classify/model.py) is a log-linear combination of the named rules; this
script fits its weights by maximum a-posteriori estimation with a Gaussian prior centred on the
hand-set weights in rules.py, by plain gradient descent from fixed starting values: the same
corpus and code give the same file, byte for byte. Before writing, it reports the stratified
k-fold cross-validated macro-F1 of training (train on k-1 folds, predict the k-th) beside the
hand-set prior's, so that what is learned is measured on mail it was not fitted to.

The corpus is not shipped: users' clones have only the small weights file this writes.
`--check` exits 1 when the file in the package differs from what the corpus gives (stale).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from reflector.classify.model import WEIGHTS_FILE, fit
from reflector.config import load_settings
from reflector.evaluate import (
    Example,
    cross_validate_examples,
    examples,
    macro_f1,
    predict,
    read_labels,
    site_policy,
    trainable,
)

REPO = Path(__file__).resolve().parents[1]
# What the shipped weights.json is trained on, relative to the repository.
TRAINING = (
    Path("../shared/corpus/labelled"),
    *sorted(Path("tests/classify/written").glob("set*")),
    Path("tests/classify/fresh"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "directories", type=Path, nargs="*", metavar="DIR",
        help="labelled mail, each with labels.csv (default: the training set named in the doc)",
    )  # fmt: skip
    parser.add_argument("--config", type=Path, default=REPO / "config.toml")
    parser.add_argument("--folds", type=int, default=10, help="cross-validation folds (default 10)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args(argv)

    policy = site_policy(load_settings(args.config, require_secrets=False))
    directories = args.directories or [REPO / d for d in TRAINING]
    data: list[Example] = []
    for directory in directories:
        items = read_labels(directory / "labels.csv")
        named = directory.resolve().name
        data += [
            Example(f"{named}/{e.file}", e.label, e.hits, e.fixed)
            for e in examples(directory, items, policy)
        ]
    cv = cross_validate_examples(data, args.folds)
    model = fit(trainable(data))
    fitted = macro_f1([(e.label, predict(model, e)) for e in data])
    document = {
        "about": "Rule weights for reflector.classify (bench/train_classifier.py); "
        "MAP fit around the hand-set weights in rules.py.",
        "trained_on": {
            "directories": [d.resolve().name for d in directories],
            "messages": len(data),
            "labels": dict(sorted(Counter(e.label for e in data).items())),
            "decided_by_screening": sum(e.fixed is not None for e in data),
        },
        "macro_f1": {
            "on_training_set": fitted,
            f"cross_validated_{cv['folds']}_fold": cv["trained_macro_f1"],
            "hand_set_prior": cv["prior_macro_f1"],
        },
        **model.as_json(),
    }
    text = json.dumps(document, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    print(
        f"{len(data)} messages; macro-F1: prior {cv['prior_macro_f1']:.3f}, "
        f"trained {cv['folds']}-fold cross-validated {cv['trained_macro_f1']:.3f}, "
        f"trained on all {fitted:.3f}"
    )
    for miss in cv["trained_misses"]:
        print(f"  cross-validation miss: {miss['file']}: {miss['label']} -> {miss['kind']}")
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'STALE: rerun without --check'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
