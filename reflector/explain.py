"""`reflector explain`: why a message was handled the way it was (pure formatting).

The decision was recorded when the message was processed (messages.actions, written from
`Plan.trace()`), so `explain` shows what actually happened, even if the workflows have changed
since. The mail it caused is read from the outbox, with each recipient's last SMTP reply.

    print(explain(message, outbox_rows))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reflector.store.models import Message, Outbox


def explain(message: Message, mails: Sequence[Outbox]) -> str:
    trace: dict[str, Any] = message.actions or {}
    confidence = f" ({message.confidence:.2f})" if message.confidence is not None else ""
    lines = [
        f"Message #{message.id} <{message.message_id or 'no Message-ID'}>",
        f"  {message.subject or '(no subject)'} — from {message.from_addr or '?'}",
        f"  read as {message.kind or '?'}{confidence}; status {message.status}"
        + (f": {message.reason}" if message.reason else ""),
    ]
    for reason in message.reasons[:8]:
        lines.append(f"    - {reason}")
    if not trace:
        lines.append("")
        lines.append(_why_no_workflow(message))
        return "\n".join(lines)
    if trace.get("meeting_reason"):
        lines += ["", f"Meeting: {trace.get('meeting') or 'none'} ({trace['meeting_reason']})"]
    lines += ["", "Workflows tried, in order (the first whose conditions all hold runs):"]
    for tried in trace.get("tried", []):
        mark = "ran " if tried.get("chosen") else "no  "
        lines.append(f"  {mark} {tried['workflow']!r}  ({tried.get('file', '')})")
        for condition in tried.get("conditions", []):
            lines.append(f"         if {condition['if']}  -> {_yes(condition['held'])}")
    if not trace.get("tried"):
        lines.append("  (no workflow handles this kind)")
    if trace.get("steps"):
        lines += ["", f"Steps of {trace.get('workflow')!r}:"]
        for step in trace["steps"]:
            condition = f"  if {step['if']}" if step.get("if") else ""
            done = "done" if step.get("ran") else "skipped (condition false)"
            lines.append(f"  {step['step']}. {step['action']:<18}{done}{condition}")
    lines += ["", "Effects:"]
    lines += [f"  - {effect}" for effect in trace.get("effects", [])] or ["  (none)"]
    if trace.get("notes"):
        lines += ["", "Notes:"] + [f"  - {note}" for note in trace["notes"]]
    if trace.get("error"):
        lines += ["", f"Error (nothing above was carried out): {trace['error']}"]
    lines += ["", "Mail caused by this message:"]
    if not mails:
        lines.append("  (none)")
    for mail in mails:
        lines.append(f"  {mail.idem_key}: {mail.status}, {mail.attempts} attempt(s)")
        lines.append(f"      subject: {mail.subject}")
        for rcpt in mail.envelope_to:
            reply = (mail.last_replies or {}).get(rcpt)
            shown = f"{reply.get('code')} {reply.get('text', '')}".strip() if reply else "waiting"
            lines.append(f"      to {rcpt}: {shown}")
    return "\n".join(lines)


def _yes(value: object) -> str:
    return "true" if value else "false"


def _why_no_workflow(message: Message) -> str:
    if message.status == "received":
        return "Not processed yet: `reflector run` (or `run --once`) will process it."
    if message.status in ("ignored", "quarantined", "held"):
        return f"No workflow ran: the message is {message.status} ({message.reason})."
    return "No workflow ran (it was processed before workflows were enabled, or by an import)."
