"""The outbox: every mail we send is a row first, and a delivery second.

A workflow queues mail with `enqueue()` in its own transaction, so the records it writes and
the mails that announce them commit together or not at all. The idempotency key is the
contract: queueing an existing key does nothing and says so. `OutboxSender` then delivers what
is due over one SMTP connection and writes the outcome per recipient into `last_replies`:

    queued ──claim──▶ sending ──▶ sent      every recipient answered; at least one took it
       ▲                 │   ├──▶ failed    every recipient refused it for good (5xx)
       └── 4xx/network ──┘   └──▶ expired   still owed to someone `give_up_hours` after queueing

Only the recipients still owed a delivery are tried again: a 250 is never repeated, a 550 is
final, a 451 (or no answer at all) is retried with exponential backoff and jitter from
`retry_first_seconds` up to `retry_max_seconds`.

Crash semantics. No database transaction is open while we talk to the SMTP server: a short
transaction claims due rows (`sending`, leased until `now + lease_seconds`, `claimed_by` this
process), we send, and the replies are committed while the next mails go out. So

* a mail is never lost: a process killed anywhere leaves its row `queued` or `sending`, and a
  `sending` row is claimed again when its lease runs out, or at once when a sender on SQLite
  starts and sees that the claiming process is gone (`claimant`);
* a mail is sent twice only if the process dies (or the database stays down until it is
  stopped) between the server's final 250 to DATA and the commit that records it. That window
  is the mails sent since the last commit (`recorder`): one commit per 20 ms at most, and
  never more than `RECORD_GROUP` (32) mails. With a real server (tens of ms per mail) it is
  the one mail whose 250 just came back; a SIGKILL while sending to a server that takes 5 ms
  per mail sent 1 to 4 mails twice in 8 runs (50 before, and up to two batches of 100). The
  copy is byte-identical, with the same Message-ID, because the bytes are stored. (SMTP has
  the same window of its own, RFC 1047: when the connection breaks after the data went out
  and before the 250 came back, the mail is retried, since a copy is better than a loss.)

Several senders may share a PostgreSQL database (the claim uses FOR UPDATE SKIP LOCKED, so a
row goes to one of them). On SQLite, a second sender (say `reflector run --once` while the
service runs) is safe too, though writes take turns: it leaves the rows of a live process to
their lease.

    async with db.write() as session:                   # the workflow's transaction
        [new] = await enqueue(session, [mail], now)      # False: that key was queued before
    sender = OutboxSender(db, settings.smtp, settings.outbox, SystemClock())
    report = await sender.drain_once()                  # DrainReport(attempted=1, sent=1, ...)
    await sender.run(stop, wake)                        # forever: drain, wait, drain ...

Modules: `mails` (what is queued), `retry` (what a reply means, pure), `sender` (delivery),
`recorder` (commits outcomes behind the wire), `claimant` (who claimed a row, is it gone).
"""

from reflector.outbox.mails import OutboxStatus, OutgoingMail, enqueue, replies_since
from reflector.outbox.retry import Settled, pending_recipients, retry_delay, settle
from reflector.outbox.sender import DrainReport, OutboxSender

__all__ = [
    "DrainReport",
    "OutboxSender",
    "OutboxStatus",
    "OutgoingMail",
    "Settled",
    "enqueue",
    "pending_recipients",
    "replies_since",
    "retry_delay",
    "settle",
]
