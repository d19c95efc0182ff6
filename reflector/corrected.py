"""The secretariat's corrections as labelled mail, for `reflector eval --corrections`.

Every release, rejection and reclassification is stored (`corrections`). Each corrected message
becomes an example: reclassified → the kind the secretariat gave; released → the kind it was
read as (the secretariat confirmed it); rejected → `other`. The latest correction of a message
wins. The raw bytes are classified again by the current rules, so the report says whether they
now get right what the secretariat had to correct.

    cases = await corrected_cases(db, policy)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from reflector.evaluate import LABELS, Case, Labelled, case_of
from reflector.store.db import Database
from reflector.store.models import Correction, Message, RawMessage
from reflector.understand import Policy


def truth_of(correction: Correction) -> str | None:
    """The label a correction implies, or None when it says nothing about the kind."""
    if correction.action == "reclassify":
        label = correction.to_kind
    elif correction.action == "release":
        label = correction.from_kind
    else:
        label = "other"
    return label if label in LABELS else None


async def corrected_cases(db: Database, policy: Policy) -> list[Case]:
    async with db.read() as session:
        corrections = (await session.scalars(select(Correction).order_by(col(Correction.id)))).all()
        latest = {c.message_pk: c for c in corrections}
        rows = (
            await session.execute(
                select(col(Message.id), col(Message.message_id), col(RawMessage.data))
                .join(RawMessage, col(RawMessage.id) == col(Message.raw_id))
                .where(col(Message.id).in_(list(latest)))
                .order_by(col(Message.id))
            )
        ).all()
    cases = []
    for pk, message_id, raw in rows:
        label = truth_of(latest[pk]) if pk is not None else None
        if label is not None:
            name = f"#{pk} <{message_id}>" if message_id else f"#{pk}"
            cases.append(case_of(raw, Labelled(name, label, ""), policy))
    return cases
