"""`reflector import`: take in files (eml, directories, mbox, Maildir), then process them.

summary = await import_paths(db, policy, [Path("old-mail.mbox")], clock)
summary.as_dict()   # {"files": 1, "messages": 29, "received": 29, "duplicates": 0, ...}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from reflector.clock import Clock
from reflector.engine.apply import Engine
from reflector.mail.files import read_paths
from reflector.pipeline import process_pending
from reflector.store.db import Database
from reflector.store.inbox import Incoming, ingest
from reflector.store.models import Message
from reflector.understand import Policy
from reflector.values import MessageStatus, Source

BATCH = 100  # messages per transaction


@dataclass
class ImportSummary:
    files: int = 0
    messages: int = 0
    received: int = 0
    duplicates: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """The summary `reflector import --json` prints: statuses of the newly received ones."""
        return {
            "files": self.files,
            "messages": self.messages,
            "received": self.received,
            "duplicates": self.duplicates,
            **{
                s.value: self.statuses.get(s.value, 0)
                for s in MessageStatus
                if s.value != "received"
            },
        }


async def import_paths(
    db: Database,
    policy: Policy,
    paths: Sequence[Path],
    clock: Clock,
    *,
    engine: Engine | None = None,
) -> ImportSummary:
    """Store and process the messages in `paths`; with `engine`, run their workflows too.

    Without an engine, messages are classified and filed only: importing an old archive must
    not answer mail from years ago. With one, records are filed and mail is queued in the
    outbox, to be sent by `reflector run`.
    """
    summary = ImportSummary()
    files: set[Path] = set()
    new_pks: list[int] = []
    batch: list[Incoming] = []

    async def flush() -> None:
        results = await ingest(db, batch, clock.now())
        for result in results:
            if result.duplicate:
                summary.duplicates += 1
            else:
                summary.received += 1
                new_pks.append(result.message_pk)
        batch.clear()

    for item in read_paths(paths):
        files.add(item.file)
        summary.messages += 1
        batch.append(Incoming(raw=item.raw, source=Source.IMPORT, source_ref=item.ref))
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    summary.files = len(files)

    await process_pending(db, policy, clock.now(), engine=engine)
    async with db.read() as session:
        for start in range(0, len(new_pks), 500):
            rows = await session.execute(
                select(col(Message.status), func.count())
                .where(col(Message.id).in_(new_pks[start : start + 500]))
                .group_by(col(Message.status))
            )
            for status, count in rows.all():
                summary.statuses[status] += count
    return summary
