"""Where the shared mail corpus lives: `../shared/corpus` beside the repository.

The corpus is not part of the repository (it is shared by several projects). A developer without
it gets a skip that says what is missing; CI (`CI=true`) must have it, so there it is a failure.
"""

from __future__ import annotations

from pathlib import Path

from support.require import skip_or_fail

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def corpus_dir(name: str) -> Path:
    """The directory `../shared/corpus/<name>`, e.g. "labelled" or "realworld"."""
    path = CORPUS / name
    if path.is_dir():
        return path
    skip_or_fail(f"../shared/corpus/{name} not found beside the repository: corpus tests need it")
