"""The calendar commands of the `reflector` command line: meetings, digest, report, liaisons.

Registered on the main app by reflector/cli.py (imported at its end):

    reflector meetings list | add | edit
    reflector digest --preview [--at DATETIME]
    reflector report MEETING [--format md|html]
    reflector liaisons answered NUMBER
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlmodel import col

from reflector.cli import (
    EXIT_CONFIG,
    EXIT_NOT_FOUND,
    ConfigOption,
    DbOption,
    _fail,
    _open_db,
    _run,
    _settings,
    app,
)
from reflector.clock import SystemClock
from reflector.config import Meeting, Settings, parse_meetings
from reflector.meetings import current_settings, save_meeting
from reflector.store.models import Liaison

meetings_app = typer.Typer(
    help="The meetings: list, add, edit (no restart needed).", no_args_is_help=True
)
liaisons_app = typer.Typer(help="Liaison statements: mark them answered.", no_args_is_help=True)
app.add_typer(meetings_app, name="meetings")
app.add_typer(liaisons_app, name="liaisons")

_WHEN = "a date-time such as 2027-09-15T09:30 (meeting time), or a date for deadlines"


def _moment(option: str, value: str | None) -> datetime | date | None:
    """A command-line time as TOML would give it: date-time (local or with offset) or date."""
    if value is None:
        return None
    try:
        return (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    except ValueError:
        raise _fail(f"{option} = {value!r}: expected {_WHEN}", EXIT_CONFIG) from None


def _local(moment: datetime | None, zone: str) -> datetime | None:
    """A stored UTC moment as the naive wall-clock time of `zone` (how config.toml writes it)."""
    if moment is None:
        return None
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _table(meeting: Meeting) -> dict[str, Any]:
    zone = meeting.timezone
    table: dict[str, Any] = {
        "id": meeting.id,
        "title": meeting.title,
        "place": meeting.place,
        "timezone": zone,
        "start": _local(meeting.start, zone),
        "end": _local(meeting.end, zone),
        "in_person": meeting.in_person,
        "remote": meeting.remote,
        "agenda": meeting.agenda,
    }
    for key in ("registration_deadline", "input_deadline", "announce_at"):
        value = _local(getattr(meeting, key), zone)
        if value is not None:
            table[key] = value
    return table


MeetingId = Annotated[str, typer.Option("--id", help="Short stable id, e.g. 8.")]
Text = Annotated[str | None, typer.Option(show_default=False)]


# The meeting options `add` and `edit` share (named as config.toml's [[meetings]] keys).
_MEETING_OPTIONS: tuple[str, ...] = ("title", "place", "timezone", "start", "end")
_MEETING_OPTIONS += ("in_person", "remote")
_MEETING_OPTIONS += ("registration_deadline", "input_deadline", "announce_at", "agenda_file")


def _options(values: dict[str, Any]) -> dict[str, Any]:
    """The meeting options among a command's arguments (its `locals()`)."""
    return {key: values[key] for key in _MEETING_OPTIONS}


def _given(**options: Any) -> dict[str, Any]:
    found = {k: v for k, v in options.items() if v is not None}
    for key in ("start", "end", "registration_deadline", "input_deadline", "announce_at"):
        if key in found:
            found[key] = _moment("--" + key.replace("_", "-"), found[key])
    if "agenda_file" in found:
        path: Path = found.pop("agenda_file")
        try:
            found["agenda"] = path.read_text(encoding="utf-8")
        except OSError as error:
            raise _fail(f"--agenda-file {path}: {error.strerror or error}", EXIT_CONFIG) from None
    return found


async def _store(settings: Settings, table: dict[str, Any], *, new: bool) -> Meeting:
    (meeting,) = parse_meetings([table], settings.group, "reflector meetings")
    database = await _open_db(settings)
    try:
        await current_settings(database, settings, SystemClock().now())  # config's in first
        return await save_meeting(database, meeting, SystemClock().now(), new=new)
    finally:
        await database.close()


def _describe(meeting: Meeting) -> str:
    zone = meeting.timezone
    lines = [
        f"{meeting.id:<6} {meeting.title}",
        f"       {meeting.place}; {_local(meeting.start, zone):%Y-%m-%d %H:%M} to "
        f"{_local(meeting.end, zone):%Y-%m-%d %H:%M} {zone}",
    ]
    for name, moment in meeting.deadlines():
        lines.append(f"       {name} deadline {_local(moment, zone):%Y-%m-%d %H:%M}")
    lines.append(f"       announcement version {meeting.sequence}")
    return "\n".join(lines)


@meetings_app.command("list")
def meetings_list(
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """Every meeting (config.toml's and those added here), by start."""
    settings = _settings(config, db)

    async def main() -> tuple[Meeting, ...]:
        database = await _open_db(settings)
        try:
            return (await current_settings(database, settings, SystemClock().now())).meetings
        finally:
            await database.close()

    meetings = _run(main)
    if as_json:
        rows = [_table(m) | {"sequence": m.sequence} for m in meetings]
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False))
        return
    typer.echo("\n".join(_describe(m) for m in meetings) or "no meetings")


@meetings_app.command("add")
def meetings_add(
    meeting_id: MeetingId,
    place: Annotated[str, typer.Option(help='Where, e.g. "Geneva, Switzerland, and online".')],
    start: Annotated[str, typer.Option(help="Local start, e.g. 2027-09-15T09:30.")],
    end: Annotated[str, typer.Option(help="Local end, e.g. 2027-09-16T17:30.")],
    title: Text = None,
    timezone: Annotated[str | None, typer.Option(help="IANA zone (default: the group's).")] = None,
    in_person: Annotated[bool, typer.Option("--in-person/--no-in-person")] = True,
    remote: Annotated[bool, typer.Option("--remote/--no-remote")] = True,
    registration_deadline: Text = None,
    input_deadline: Text = None,
    announce_at: Text = None,
    agenda_file: Annotated[Path | None, typer.Option(help="Draft agenda (text file).")] = None,
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """Add a meeting: announced, reminded and warned about like those in config.toml."""
    settings = _settings(config, db)
    table = _given(id=meeting_id, **_options(locals()))
    try:
        meeting = _run(lambda: _store(settings, table, new=True))
    except ValueError as error:
        raise _fail(f"error: {error}", EXIT_CONFIG) from None
    typer.echo(f"added:\n{_describe(meeting)}")


@meetings_app.command("edit")
def meetings_edit(
    meeting_id: Annotated[str, typer.Argument(help="The meeting's id.")],
    title: Text = None,
    place: Text = None,
    timezone: Text = None,
    start: Text = None,
    end: Text = None,
    in_person: Annotated[bool | None, typer.Option("--in-person/--no-in-person")] = None,
    remote: Annotated[bool | None, typer.Option("--remote/--no-remote")] = None,
    registration_deadline: Text = None,
    input_deadline: Text = None,
    announce_at: Text = None,
    agenda_file: Annotated[Path | None, typer.Option(help="Draft agenda (text file).")] = None,
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """Change a meeting; if it was announced, an update (same calendar entry) is sent."""
    settings = _settings(config, db)
    changes = _given(**_options(locals()))

    async def main() -> Meeting | None:
        database = await _open_db(settings)
        try:
            current = (await current_settings(database, settings, SystemClock().now())).meeting(
                meeting_id
            )
        finally:
            await database.close()
        if current is None:
            return None
        table = _table(current) | changes
        if "timezone" in changes:  # the wall-clock times stay; they are now in the new zone
            table["timezone"] = changes["timezone"]
        return await _store(settings, table, new=False)

    meeting = _run(main)
    if meeting is None:
        raise _fail(f"no meeting {meeting_id!r}: see `reflector meetings list`", EXIT_NOT_FOUND)
    typer.echo(
        f"changed (the announcement, if sent, goes out again as an update):\n{_describe(meeting)}"
    )


@app.command()
def digest(
    preview: Annotated[bool, typer.Option("--preview", help="Print it; send nothing.")] = False,
    at: Annotated[
        str | None,
        typer.Option(help="As it would be at this time (group's zone), e.g. 2027-01-12T08:00."),
    ] = None,
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """The secretariat's daily digest (it is sent by `reflector run` at [schedule].digest_time)."""
    if not preview:
        raise _fail("use --preview: the digest is sent by `reflector run` on schedule", EXIT_CONFIG)
    settings = _settings(config, db)
    moment = SystemClock().now()
    if at is not None:
        given = _moment("--at", at)
        if not isinstance(given, datetime):
            raise _fail(
                f"--at = {at!r}: expected a date-time such as 2027-01-12T08:00", EXIT_CONFIG
            )
        moment = given if given.tzinfo else given.replace(tzinfo=settings.group_zone)

    async def main() -> str:
        from reflector.render import Renderer
        from reflector.schedule import Scheduler

        database = await _open_db(settings)
        try:
            current = await current_settings(database, settings, moment)
            renderer = Renderer(settings.templates_dir)
            scheduler = Scheduler(database, current, renderer, SystemClock())
            context, _empty = await scheduler.digest_context(current, moment)
            mail = renderer.render("digest", context)
            return f"Subject: {mail.subject}\n\n{mail.text}"
        finally:
            await database.close()

    typer.echo(_run(main))


@app.command()
def report(
    meeting_id: Annotated[str, typer.Argument(help="The meeting's id.")],
    output_format: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """A report skeleton for the parent body: participants, documents, liaison statements."""
    if output_format not in ("md", "html"):
        raise _fail(f"--format {output_format!r}: expected md or html", EXIT_CONFIG)
    settings = _settings(config, db)

    async def main() -> str | None:
        from reflector.engine.facts import meeting_facts
        from reflector.overview import meeting_overview
        from reflector.render import Renderer

        database = await _open_db(settings)
        try:
            current = await current_settings(database, settings, SystemClock().now())
            meeting = current.meeting(meeting_id)
            if meeting is None:
                return None
            overview = await meeting_overview(database, current, meeting, SystemClock().now())
        finally:
            await database.close()
        context = {
            "group": {"name": current.group.name, "title": current.group.title},
            "meeting": meeting_facts(meeting),
            "overview": overview,
        }
        mail = Renderer(settings.templates_dir).render("report", context)
        return mail.text if output_format == "md" else (mail.html or "")

    text = _run(main)
    if text is None:
        raise _fail(f"no meeting {meeting_id!r}: see `reflector meetings list`", EXIT_NOT_FOUND)
    typer.echo(text)


@liaisons_app.command("answered")
def liaisons_answered(
    number: Annotated[str, typer.Argument(help="The LS number, e.g. JCA-QKDN-LS-012.")],
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """Mark a liaison statement answered: the chairs' overdue reminders about it stop."""
    settings = _settings(config, db)

    async def main() -> bool:
        database = await _open_db(settings)
        try:
            async with database.write() as session:
                row = await session.scalar(select(Liaison).where(col(Liaison.number) == number))
                if row is None:
                    return False
                row.status = "answered"
                return True
        finally:
            await database.close()

    if not _run(main):
        raise _fail(
            f"no liaison statement {number!r}: see `reflector list liaisons`", EXIT_NOT_FOUND
        )
    typer.echo(f"{number}: answered")
