"""Who claimed an outbox row (`host:pid:token`), and whether that sender is certainly gone.

A sender writes its claimant into `outbox.claimed_by` with every claim. When a sender starts on
SQLite, a row still `sending` is taken back at once only if its claimant is certainly gone: a
process of this host that no longer exists, or an earlier process that had our pid (in a
container the service is often pid 1 every time; the random token tells the two apart). A row
of a live process, or of another host whose processes we cannot see, waits for its lease.

    >>> me = Claimant("mail1", 4242, "9f3a1c0e")
    >>> str(me)
    'mail1:4242:9f3a1c0e'
    >>> abandoned("mail1:4242:0b7c55d1", me)   # our pid, another token: our dead predecessor
    True
    >>> abandoned("mail1:4242:9f3a1c0e", me)   # ourselves
    False
    >>> abandoned("mail1:77:0b7c55d1", me, alive=lambda pid: False)   # this host, pid 77 is gone
    True
    >>> abandoned("mail1:77:0b7c55d1", me, alive=lambda pid: True)    # pid 77 still runs
    False
    >>> abandoned("mail2:77:0b7c55d1", me, alive=lambda pid: False)   # another host: cannot tell
    False
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = secrets.token_hex(4)  # new in every process (a forked child differs by its pid)


@dataclass(frozen=True)
class Claimant:
    """One sending process: its host name, its pid and a token drawn when it started."""

    host: str
    pid: int
    token: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @classmethod
    def parse(cls, text: str) -> Claimant | None:
        """`host:pid:token` back into a `Claimant`; None for anything else (e.g. "").

        >>> Claimant.parse("mail1:4242:9f3a1c0e")
        Claimant(host='mail1', pid=4242, token='9f3a1c0e')
        >>> Claimant.parse("") is None
        True
        """
        parts = text.rsplit(":", 2)
        if len(parts) != 3 or not (parts[0] and parts[1].isdigit() and parts[2]):
            return None
        return cls(parts[0], int(parts[1]), parts[2])


def this_process() -> Claimant:
    """The claimant of the calling process."""
    return Claimant(socket.gethostname(), os.getpid(), _TOKEN)


def process_exists(pid: int) -> bool:
    """Whether a process with this pid exists on this host (False only when certainly not)."""
    if os.name != "posix":  # signal 0 probes a process only on POSIX
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def abandoned(
    claimed_by: str, me: Claimant, *, alive: Callable[[int], bool] = process_exists
) -> bool:
    """Whether the sender named by `claimed_by` is certainly gone, as seen from `me`.

    False when in doubt (another host, an unreadable claimant, a pid that exists, even if it
    was reused by an unrelated process): the row then waits for its lease, which is slow but
    never sends a mail that its sender is still sending.
    """
    other = Claimant.parse(claimed_by)
    if other is None or other.host != me.host:
        return False
    if other.pid == me.pid:
        return other.token != me.token
    return not alive(other.pid)
