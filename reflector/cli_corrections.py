"""The secretariat's corrections on the command line: release, reject, reclassify.

    reflector release 12
    reflector reject 12 --reason "spam"
    reflector reclassify 12 contribution --field meeting=6 --field title="Key relay"

The same commands work by e-mail from a secretariat address (workflows/commands.toml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
from reflector.commands import Command, CommandError, check_fields, parse_command
from reflector.config import Settings

Ref = Annotated[str, typer.Argument(help="The message: its number (12 or #12) or Message-ID.")]


def _carry_out(settings: Settings, command: Command) -> str:
    async def main() -> str:
        from reflector.corrections import CorrectionError, correct
        from reflector.engine.apply import Engine
        from reflector.meetings import current_settings
        from reflector.understand import policy_from_settings

        database = await _open_db(settings)
        try:
            current = await current_settings(database, settings, SystemClock().now())
            try:
                result = await correct(
                    database,
                    Engine.from_settings(current),
                    policy_from_settings(current),
                    command,
                    by="command line",
                    now=SystemClock().now(),
                )
            except CorrectionError as error:
                raise _fail(
                    f"error: {error}", EXIT_NOT_FOUND if "no message" in str(error) else EXIT_CONFIG
                ) from None
        finally:
            await database.close()
        return result.summary() + "\n(mail queued here is sent by `reflector run`)"

    return _run(main)


@app.command()
def release(ref: Ref, config: ConfigOption = Path("config.toml"), db: DbOption = None) -> None:
    """Act on a held (or quarantined) message as it was read: run its workflows."""
    typer.echo(_carry_out(_settings(config, db), Command("release", ref)))


@app.command()
def reject(
    ref: Ref,
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """Set a message aside for good (status ignored, with who and why)."""
    typer.echo(_carry_out(_settings(config, db), Command("reject", ref, reason=reason)))


@app.command()
def reclassify(
    ref: Ref,
    kind: Annotated[
        str, typer.Argument(help="registration, contribution, liaison, post, command, other")
    ],
    field: Annotated[
        list[str] | None, typer.Option("--field", help="key=value, e.g. meeting=6 (repeatable).")
    ] = None,
    config: ConfigOption = Path("config.toml"),
    db: DbOption = None,
) -> None:
    """Say what a message really is; its workflows run again for that kind."""
    settings = _settings(config, db)
    try:
        command = parse_command(f"reclassify {kind}")
        fields = dict(f.split("=", 1) for f in field or [] if "=" in f)
        if len(fields) != len(field or []):
            raise CommandError("--field: expected key=value, e.g. --field meeting=6")
        assert command.kind is not None
        check_fields(command.kind, fields)
    except CommandError as error:
        raise _fail(f"error: {error}", EXIT_CONFIG) from None
    typer.echo(_carry_out(settings, Command("reclassify", ref, command.kind, fields)))
