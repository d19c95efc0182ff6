"""The `reflector` command line (typer). Each command is a thin shell over the library.

Exit codes: 0 success; 1 a runtime failure (database or mail server unavailable);
2 a usage or configuration error (the message names file, key and what was expected);
3 the thing asked for does not exist (e.g. `show` of an unknown Message-ID).
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from reflector.clock import SystemClock
from reflector.config import Settings, load_settings
from reflector.errors import ConfigError, ReflectorError, StoreError
from reflector.store.db import Database

T = TypeVar("T")

EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_NOT_FOUND = 3

app = typer.Typer(
    help="The mail bot and workflow engine of a standards group's secretariat.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
list_app = typer.Typer(help="List what is stored.", no_args_is_help=True)
app.add_typer(list_app, name="list")

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config", "-c", envvar="REFLECTOR_CONFIG", help="Configuration file.", show_default=True
    ),
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (overrides REFLECTOR_DB and the url in config.toml).",
        show_default=False,
    ),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log each decision.")]


def _setup_logging(verbose: bool, default: int = logging.WARNING) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else default,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aioimaplib logs every protocol line at DEBUG and reconnect noise at INFO.
    logging.getLogger("aioimaplib").setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _settings(config: Path, db: str | None, *, require_secrets: bool = False) -> Settings:
    try:
        return load_settings(config, database_url=db, require_secrets=require_secrets)
    except ConfigError as error:
        raise _fail(str(error), EXIT_CONFIG) from error


def _run(main: Callable[[], Awaitable[T]]) -> T:
    """typer has no async commands: run the coroutine, mapping our errors to exit codes."""
    try:
        return asyncio.run(main())  # type: ignore[arg-type]
    except ConfigError as error:
        raise _fail(str(error), EXIT_CONFIG) from error
    except StoreError as error:
        raise _fail(f"error: {error}", EXIT_FAILURE) from error
    except ReflectorError as error:
        raise _fail(f"error: {error}", EXIT_FAILURE) from error


async def _open_db(settings: Settings) -> Database:
    db = Database(settings.database.url)
    await db.migrate()
    return db


@app.command()
def run(
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    once: Annotated[
        bool, typer.Option("--once", help="Catch up on IMAP, process everything, then exit.")
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Run the service: IMAP/LMTP intake, processing with the workflows, and sending."""
    _setup_logging(verbose, default=logging.INFO)
    settings = _settings(config, db, require_secrets=True)

    async def main() -> None:
        from reflector.app import Service

        database = await _open_db(settings)
        try:
            service = Service(settings, database)
            if once:
                report = await service.run_once()
                counts = report.processed.counts
                outcome = ", ".join(f"{n} {status}" for status, n in counts.most_common())
                sent = report.sent
                typer.echo(
                    f"took in {report.fetched} new messages; "
                    f"handled {report.processed.total}"
                    + (f" ({outcome})" if outcome else "")
                    + f"; sent {sent.sent} mails"
                    + (f", {sent.retrying} to retry" if sent.retrying else "")
                    + (f", {sent.failed} failed" if sent.failed else "")
                    + (f" (SMTP: {sent.error})" if sent.error else "")
                )
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await service.run(stop)
        finally:
            await database.close()

    _run(main)


@app.command()
def demo(
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep running, for exploring with a mail client.")
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Run a scripted scenario on embedded servers and print what happened (exits by itself)."""
    _setup_logging(verbose)
    from reflector.demo import run_demo

    code = _run(lambda: run_demo(serve=serve, out=sys.stdout))
    raise typer.Exit(code)


@app.command()
def check(config: ConfigOption = Path("config.toml"), db: DbOption = None) -> None:
    """Validate the configuration (and workflows and templates); exit 2 listing every problem."""
    settings = _settings(config, db, require_secrets=True)
    from reflector.checks import check_site

    problems = check_site(settings)
    if problems:
        raise _fail("\n".join(str(p) for p in problems), EXIT_CONFIG)
    typer.echo(
        f"{config}: OK — {settings.group.name}, {len(settings.meetings)} meetings, "
        f"IMAP {'on' if settings.imap.enabled else 'off'}, "
        f"LMTP {'on' if settings.lmtp.enabled else 'off'}"
    )


@app.command(name="import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help=".eml files, directories, mbox, Maildir.")],
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary.")] = False,
    act: Annotated[
        bool,
        typer.Option(
            "--act",
            help="Also run the workflows: file records and queue replies "
            "(sent by `reflector run`). Without it, messages are classified and filed only.",
        ),
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Take in messages from files and process them (no mail is sent)."""
    _setup_logging(verbose)
    settings = _settings(config, db)
    for path in paths:
        if not path.exists():
            raise _fail(f"{path}: no such file or directory", EXIT_CONFIG)

    async def main() -> dict[str, Any]:
        from reflector.engine.apply import Engine
        from reflector.importer import import_paths
        from reflector.understand import policy_from_settings

        engine = Engine.from_settings(settings) if act else None
        database = await _open_db(settings)
        try:
            summary = await import_paths(
                database, policy_from_settings(settings), paths, SystemClock(), engine=engine
            )
        finally:
            await database.close()
        return summary.as_dict()

    summary = _run(main)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(", ".join(f"{key} {value}" for key, value in summary.items()))


@app.command()
def classify(
    files: Annotated[list[Path], typer.Argument(help="Message files (.eml).")],
    config: ConfigOption = Path("config.toml"),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Classify message files without a database or network; one result per file."""
    settings = _settings(config, None)
    from reflector.understand import policy_from_settings, understand

    policy = policy_from_settings(settings)
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise _fail(f"{path}: {error.strerror}", EXIT_CONFIG) from error
        outcome = understand(raw, policy)
        verdict = outcome.verdict
        reasons: list[str] = list(verdict.reasons) if verdict else [outcome.reason]
        result: dict[str, Any] = {
            "file": str(path),
            "kind": verdict.kind.value if verdict else None,
            "confidence": verdict.confidence if verdict else 0.0,
            "reasons": reasons,
            "fields": verdict.fields if verdict else {},
            "status": outcome.status.value,
        }
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
        else:
            typer.echo(
                f"{path}: {result['kind'] or outcome.status.value} "
                f"({result['confidence']:.2f}) — {'; '.join(reasons)}"
            )


@app.command(name="eval")
def eval_(
    directory: Annotated[
        Path | None, typer.Argument(help="Directory of labelled message files.")
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="CSV file,label,notes (default: DIR/labels.csv)."),
    ] = None,
    corrections: Annotated[
        bool,
        typer.Option(
            "--corrections", help="Also score the messages the secretariat corrected (database)."
        ),
    ] = False,
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    folds: Annotated[
        int, typer.Option("--cv", min=0, help="Also cross-validate the trained weights, K folds.")
    ] = 0,
    fail_under: Annotated[
        float | None,
        typer.Option(
            "--fail-under", help="Exit 1 if macro-F1 is below this or any miss is unsafe."
        ),
    ] = None,
) -> None:
    """Score classification on labelled mail: per-kind precision/recall/F1, confusion, misses."""
    settings = _settings(config, db)
    if directory is None and not corrections:
        raise _fail("give a directory of labelled mail, --corrections, or both", EXIT_CONFIG)
    if directory is not None and not directory.is_dir():
        raise _fail(f"{directory}: no such directory", EXIT_CONFIG)
    from reflector.evaluate import LabelsError, Report, evaluate, format_report, site_policy

    policy = site_policy(settings)
    try:
        report = (
            evaluate(directory, labels or directory / "labels.csv", policy, folds=folds)
            if directory is not None
            else Report([])
        )
    except LabelsError as error:
        raise _fail(str(error), EXIT_CONFIG) from error
    if corrections:
        from reflector.corrected import corrected_cases

        async def main() -> list[Any]:
            database = await _open_db(settings)
            try:
                return await corrected_cases(database, policy)
            finally:
                await database.close()

        report.cases += _run(main)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        typer.echo(format_report(report))
    if fail_under is not None and (report.macro_f1 < fail_under or report.unsafe):
        raise typer.Exit(EXIT_FAILURE)


@list_app.command("messages")
def list_messages(
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="received|processed|quarantined|ignored|held"),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Newest N messages.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON array.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV with a header row.")] = False,
) -> None:
    """List stored messages, newest first."""
    from reflector.store.queries import list_messages as query
    from reflector.values import MessageStatus

    if status is not None and status not in {s.value for s in MessageStatus}:
        raise _fail(
            f"--status {status!r}: expected one of " + ", ".join(s.value for s in MessageStatus),
            EXIT_CONFIG,
        )
    settings = _settings(config, db)

    async def main() -> list[dict[str, Any]]:
        database = await _open_db(settings)
        try:
            return await query(database, status=status, limit=limit)
        finally:
            await database.close()

    rows = _run(main)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["id"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        from reflector.store.queries import format_table

        typer.echo(format_table(rows) if rows else "no messages")


# -- the group's records: list registrations|documents|liaisons, export

MeetingOption = Annotated[
    str | None, typer.Option("--meeting", help="Only this meeting (its id in config.toml).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON array.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="CSV with a header row.")]
Rows = list[dict[str, Any]]


def _check_choice(option: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise _fail(f"{option} {value!r}: expected one of " + ", ".join(choices), EXIT_CONFIG)


def _check_meeting(settings: Settings, meeting: str | None) -> None:
    if meeting is not None and settings.meeting(meeting) is None:
        known = ", ".join(m.id for m in settings.meetings)
        raise _fail(
            f"--meeting {meeting!r}: expected one of the meetings in {settings.file}: {known}",
            EXIT_CONFIG,
        )


def _list_records(
    settings: Settings,
    query: Callable[[Database], Awaitable[Rows]],
    columns: tuple[str, ...],
    table: Callable[[Rows], str],
    empty: str,
    *,
    as_json: bool,
    as_csv: bool,
) -> None:
    async def main() -> Rows:
        database = await _open_db(settings)
        try:
            return await query(database)
        finally:
            await database.close()

    rows = _run(main)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif as_csv:
        from reflector.store.recordtables import flat_row

        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        writer.writerows(flat_row(row) for row in rows)
    else:
        typer.echo(table(rows) if rows else empty)


@list_app.command("registrations")
def list_registrations(
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    meeting: MeetingOption = None,
    status: Annotated[str | None, typer.Option("--status", help="registered|cancelled")] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List registrations by meeting, with totals (times in the meeting's zone)."""
    from reflector.store import records
    from reflector.store.recordtables import format_registrations

    _check_choice("--status", status, records.REGISTRATION_STATUSES)
    settings = _settings(config, db)
    _check_meeting(settings, meeting)
    _list_records(
        settings,
        lambda d: records.list_registrations(d, settings, meeting=meeting, status=status),
        records.REGISTRATION_COLUMNS,
        format_registrations,
        "no registrations",
        as_json=as_json,
        as_csv=as_csv,
    )


@list_app.command("documents")
def list_documents(
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    meeting: MeetingOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List input documents (each revision on its own line) with their files, and totals."""
    from reflector.store import records
    from reflector.store.recordtables import format_documents

    settings = _settings(config, db)
    _check_meeting(settings, meeting)
    _list_records(
        settings,
        lambda d: records.list_documents(d, settings, meeting=meeting),
        records.DOCUMENT_COLUMNS,
        format_documents,
        "no documents",
        as_json=as_json,
        as_csv=as_csv,
    )


@list_app.command("liaisons")
def list_liaisons(
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    meeting: Annotated[
        str | None,
        typer.Option(
            "--meeting",
            help="Only those received since the previous meeting, up to this one's end.",
        ),
    ] = None,
    status: Annotated[str | None, typer.Option("--status", help="open|answered")] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List incoming liaison statements, with totals."""
    from reflector.store import records
    from reflector.store.recordtables import format_liaisons

    _check_choice("--status", status, records.LIAISON_STATUSES)
    settings = _settings(config, db)
    _check_meeting(settings, meeting)
    _list_records(
        settings,
        lambda d: records.list_liaisons(d, settings, meeting=meeting, status=status),
        records.LIAISON_COLUMNS,
        format_liaisons,
        "no liaison statements",
        as_json=as_json,
        as_csv=as_csv,
    )


@app.command()
def export(
    directory: Annotated[
        Path, typer.Argument(help="Where to write index.html, documents.csv and files/.")
    ],
    meeting: Annotated[str, typer.Option("--meeting", help="The meeting's id in config.toml.")],
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """Write a meeting's document register for publishing: a static page, a CSV and the files."""
    from reflector.export import export_register

    settings = _settings(config, db)
    _check_meeting(settings, meeting)

    async def main() -> list[str]:
        database = await _open_db(settings)
        try:
            report = await export_register(database, settings, meeting, directory)
        finally:
            await database.close()
        return report.lines()

    typer.echo("\n".join(_run(main)))


@app.command()
def show(
    message_id: Annotated[str, typer.Argument(help="A Message-ID (with or without <>) or #N.")],
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    raw: Annotated[bool, typer.Option("--raw", help="Print the message as received.")] = False,
) -> None:
    """Show one message: where it came from, its status, kind, reasons and fields."""
    from reflector.store.queries import describe_message, find_message

    settings = _settings(config, db)

    async def main() -> tuple[Any, Any] | None:
        database = await _open_db(settings)
        try:
            return await find_message(database, message_id)
        finally:
            await database.close()

    found = _run(main)
    if found is None:
        raise _fail(f"no message {message_id!r} in {settings.database.url}", EXIT_NOT_FOUND)
    message, raw_message = found
    if raw:
        sys.stdout.buffer.write(raw_message.data)
        return
    typer.echo(describe_message(message, raw_message))


@app.command()
def explain(
    message_id: Annotated[str, typer.Argument(help="A Message-ID (with or without <>) or #N.")],
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """Explain a message: which workflow ran, which conditions held, what it did and sent."""
    from reflector.explain import explain as explain_text
    from reflector.store.queries import find_message, mails_caused_by

    settings = _settings(config, db)

    async def main() -> str | None:
        database = await _open_db(settings)
        try:
            found = await find_message(database, message_id)
            if found is None:
                return None
            return explain_text(found[0], await mails_caused_by(database, found[0].id or 0))
        finally:
            await database.close()

    text = _run(main)
    if text is None:
        raise _fail(f"no message {message_id!r} in {settings.database.url}", EXIT_NOT_FOUND)
    typer.echo(text)


# The calendar commands (meetings, digest, report, liaisons) and the corrections (release,
# reject, reclassify) live in their own modules; they register on `app`, so they are imported
# after everything above is defined.
from reflector import cli_calendar, cli_corrections  # noqa: E402, F401


def main() -> None:
    # Make `reflector` behave in pipes (e.g. `| head`) without a BrokenPipeError traceback.
    try:
        app()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILURE)
