"""One rule for tests that need something installed on the machine: skip locally, fail in CI.

A developer without Dovecot still gets a green run of everything else; CI, which must prove the
real-server tests, never silently skips them.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def require(condition: bool, what: str, install_hint: str) -> None:
    """Skip the test (or fail it when `CI=true`) unless `condition` holds.

    require(shutil.which("dovecot") is not None, "dovecot", "apt-get install dovecot-imapd")
    # -> skipped: "dovecot not installed: apt-get install dovecot-imapd"
    """
    if not condition:
        skip_or_fail(f"{what} not installed: {install_hint}")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip with `reason` on a developer's machine; fail with it when `CI=true`."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)
