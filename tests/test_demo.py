"""`reflector demo`, exactly as the README's first command runs it."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_the_scenario_over_real_sockets_and_exits_by_itself() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reflector", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Received and understood (7 messages)" in out
    # one line per message saying what it became
    for outcome in (
        "PROCESSED: registration",
        "PROCESSED: contribution",
        "PROCESSED: liaison",
        "PROCESSED: post",
        "IGNORED: auto-reply",
        "QUARANTINED",
    ):
        assert outcome in out, f"{outcome!r} missing from the transcript:\n{out}"
    assert "via lmtp" in out and "via imap" in out
    assert "Sent through the outbox (SMTP sink" in out
    # what the participants and the chairs got: numbers and what was understood
    for sent in (
        "Registered to attend remotely.",
        "JCA-QKDN-6-I-001",
        "JCA-QKDN-LS-001",
        "[JCA-QKDN] Action requested: JCA-QKDN-LS-001",
        # and, on the accelerated clock, what the schedule sends by itself
        "Accelerated clock: moved on to",
        "[JCA-QKDN] Announcement: JCA-QKDN meeting 6",
        "[JCA-QKDN] Reminder: input document deadline for JCA-QKDN meeting 6 in 7 days",
        "[JCA-QKDN] Input document deadline in 7 days: JCA-QKDN meeting 6",
        "[JCA-QKDN] Daily digest",
    ):
        assert sent in out, f"{sent!r} missing from the transcript:\n{out}"
    assert "Traceback" not in result.stderr
