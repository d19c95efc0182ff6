"""How rule hits become probabilities: a small log-linear model (pure; loading reads one file).

Each kind k gets a score  bias[k] + sum(weight[rule][k] for every rule that hit), and the
probabilities are the softmax of the scores. The *prior* model takes each rule's own weight for
its own kind (0 for the others) and `rules.BIAS`. The *trained* model (`weights.json`, shipped in
the package) starts from that prior and moves the weights only as far as labelled mail asks:
it is the maximum a-posteriori fit of a multinomial logistic regression with a Gaussian prior
centred on the hand-set weights (`fit`). A rule the data never sees keeps its prior weight, and
a rule added later works at once with its prior until the next training.

Every number in the model belongs to a named rule (or a kind's bias), so a verdict's reasons
are exactly the rules that pushed it, with how hard.

    model = default_model()
    model.probabilities(["registration-request", "participation-mode"])  -> {Kind: p}
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reflector.classify.rules import BIAS, RULES, Rule
from reflector.values import Kind

KINDS: tuple[Kind, ...] = (
    Kind.REGISTRATION, Kind.CONTRIBUTION, Kind.LIAISON, Kind.POST, Kind.COMMAND, Kind.OTHER,
)  # fmt: skip
WEIGHTS_FILE = Path(__file__).with_name("weights.json")


@dataclass(frozen=True)
class Model:
    bias: dict[Kind, float]
    weights: dict[str, dict[Kind, float]]  # rule name -> kind -> weight

    def weight(self, rule: str, kind: Kind) -> float:
        return self.weights.get(rule, {}).get(kind, 0.0)

    def scores(self, hits: Iterable[str]) -> dict[Kind, float]:
        totals = {k: self.bias.get(k, 0.0) for k in KINDS}
        for name in hits:
            for kind, w in self.weights.get(name, {}).items():
                totals[kind] += w
        return totals

    def probabilities(self, hits: Iterable[str]) -> dict[Kind, float]:
        """Softmax of the scores.

        >>> p = prior().probabilities([])
        >>> max(p, key=p.__getitem__), round(sum(p.values()), 6)
        (<Kind.OTHER: 'other'>, 1.0)
        """
        return softmax(self.scores(hits))

    def as_json(self) -> dict[str, Any]:
        return {
            "bias": {k.value: round(self.bias.get(k, 0.0), 4) for k in KINDS},
            "weights": {
                name: {k.value: round(w, 4) for k, w in by_kind.items() if abs(w) >= 5e-5}
                for name, by_kind in sorted(self.weights.items())
            },
        }


def softmax(scores: dict[Kind, float]) -> dict[Kind, float]:
    top = max(scores.values())
    exps = {k: math.exp(s - top) for k, s in scores.items()}
    total = sum(exps.values())
    return {k: e / total for k, e in exps.items()}


def prior(rules: Sequence[Rule] = RULES) -> Model:
    """Each rule's own weight for its own kind; the hand-set biases."""
    return Model(
        bias={k: BIAS.get(k, 0.0) for k in KINDS},
        weights={r.name: {r.kind: r.weight} for r in rules},
    )


def from_json(data: dict[str, Any], rules: Sequence[Rule] = RULES) -> Model:
    """A trained model; rules the file does not know keep their prior, unknown names are dropped."""
    base = prior(rules)
    known = {r.name for r in rules}
    weights = dict(base.weights)
    for name, by_kind in data.get("weights", {}).items():
        if name in known:
            weights[name] = {Kind(k): float(w) for k, w in by_kind.items()}
    bias = {k: float(data.get("bias", {}).get(k.value, base.bias[k])) for k in KINDS}
    return Model(bias, weights)


@cache
def default_model() -> Model:
    """The shipped trained model, or the prior when `weights.json` is missing or unreadable."""
    try:
        return from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return prior()


def fit(
    examples: Sequence[tuple[Sequence[str], Kind]],
    rules: Sequence[Rule] = RULES,
    *,
    strength: float = 1.0,
    iterations: int = 300,
    step: float = 2.0,
) -> Model:
    """MAP fit from (rule names hit, true kind) pairs; deterministic (plain gradient descent).

    The loss is the mean cross-entropy plus strength / (2 n) * squared distance from the prior,
    so `strength` is the weight of the prior counted in examples.

    >>> m = fit([(["registration-request"], Kind.REGISTRATION), ([], Kind.OTHER)])
    >>> m.weight("registration-request", Kind.REGISTRATION) > 3
    True
    """
    base = prior(rules)
    names = [r.name for r in rules]
    index = {n: i for i, n in enumerate(names)}
    kinds = list(KINDS)
    n = max(1, len(examples))
    w0 = [[base.weight(name, k) for k in kinds] for name in names]
    b0 = [base.bias[k] for k in kinds]
    w = [row[:] for row in w0]
    b = b0[:]
    data = [([index[h] for h in hits if h in index], kinds.index(kind)) for hits, kind in examples]
    for _ in range(iterations):
        gw = [
            [strength * (w[i][j] - w0[i][j]) / n for j in range(len(kinds))]
            for i in range(len(names))
        ]
        gb = [strength * (b[j] - b0[j]) / n for j in range(len(kinds))]
        for features, label in data:
            scores = [b[j] + sum(w[i][j] for i in features) for j in range(len(kinds))]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            for j in range(len(kinds)):
                delta = (exps[j] / total - (1.0 if j == label else 0.0)) / n
                gb[j] += delta
                for i in features:
                    gw[i][j] += delta
        for i in range(len(names)):
            for j in range(len(kinds)):
                w[i][j] -= step * gw[i][j]
        for j in range(len(kinds)):
            b[j] -= step * gb[j]
    return Model(
        bias=dict(zip(kinds, b, strict=True)),
        weights={name: dict(zip(kinds, w[i], strict=True)) for i, name in enumerate(names)},
    )
