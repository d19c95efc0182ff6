"""Messages from files: single .eml files, directories, mbox and Maildir.

    for item in read_paths([Path("inbox.mbox"), Path("saved/")]):
        item.ref, item.raw      # "file:/abs/inbox.mbox#3", b"From: ..."

A directory is read as a Maildir when it has cur/ and new/, otherwise every file in it
(recursively, hidden files skipped) is read. A file that starts with an mbox "From " line is
split into its messages; anything else is one message, whatever it contains (a file that is
not an e-mail is still taken in, and processing quarantines it with a reason).
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileMessage:
    ref: str  # unique: file:<abs path>, file:<abs path>#<n> in an mbox, maildir:<dir>/<key>
    raw: bytes
    file: Path  # the file it came from


def is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def read_paths(paths: Iterable[Path]) -> Iterator[FileMessage]:
    for path in paths:
        path = path.resolve()
        if path.is_dir():
            if is_maildir(path):
                yield from _read_maildir(path)
            else:
                for child in sorted(p for p in path.rglob("*") if p.is_file()):
                    if not any(part.startswith(".") for part in child.relative_to(path).parts):
                        yield from _read_file(child)
        else:
            yield from _read_file(path)


def _read_file(path: Path) -> Iterator[FileMessage]:
    with path.open("rb") as handle:
        head = handle.read(5)
    if head == b"From ":
        box = mailbox.mbox(path, create=False)
        try:
            for number, key in enumerate(box.keys(), start=1):
                yield FileMessage(f"file:{path}#{number}", box.get_bytes(key), path)
        finally:
            box.close()
        return
    yield FileMessage(f"file:{path}", path.read_bytes(), path)


def _read_maildir(path: Path) -> Iterator[FileMessage]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.keys()):
        # The key is the unique part of the file name; it survives new/ -> cur/ moves.
        yield FileMessage(f"maildir:{path}/{key}", box.get_bytes(key), path / key)
