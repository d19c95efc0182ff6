"""config.toml -> Settings: the example loads, and every kind of mistake gives one clear line.

Each test writes a small config into a temporary directory: `MINIMAL` (the least a site must
write) changed by a few text edits, then asserts on the lines a secretariat would see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reflector.config import (
    DatabaseSettings,
    Settings,
    load_settings,
    mask_password,
    normalise_database_url,
)
from reflector.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent

MINIMAL = """\
[group]
name = "JCA-QKDN"
timezone = "Europe/Zurich"

[addresses]
secretariat = "secretariat@example.org"
reflector = "list@example.org"

[roles]
secretariat = [{ name = "Hannah Lindqvist", email = "hannah@example.org" }]

[[meetings]]
id = "6"
place = "Online"
start = 2027-01-20T14:00:00
end = 2027-01-20T17:00:00
in_person = false
remote = true
input_deadline = 2027-01-08

[imap]
host = "imap.example.org"
username = "secretariat"

[smtp]
host = "smtp.example.org"
"""

ENV = {"REFLECTOR_IMAP_PASSWORD": "imap-secret"}
MEETING_7 = """\
place = "Geneva"
start = 2027-06-16T09:30:00
end = 2027-06-17T17:30:00
in_person = true
remote = true"""
Edit = Callable[[str], str]


def change(old: str, new: str) -> Edit:
    """Replace text that occurs exactly once in the config."""

    def edit(text: str) -> str:
        assert text.count(old) == 1, f"{old!r} must occur exactly once"
        return text.replace(old, new)

    return edit


def add(header: str, lines: str) -> Edit:
    """Add lines right under a header such as `[imap]`; a header not yet there is appended."""

    def edit(text: str) -> str:
        if f"\n{header}\n" in f"\n{text}":
            return text.replace(f"{header}\n", f"{header}\n{lines}\n", 1)
        return f"{text}\n{header}\n{lines}\n"

    return edit


def append(block: str) -> Edit:
    """Add lines at the end (a second `[[meetings]]` table, for instance)."""
    return lambda text: f"{text}\n{block}\n"


def write(directory: Path, *edits: Edit) -> Path:
    """MINIMAL with `edits` applied, written to directory/config.toml."""
    text = MINIMAL
    for edit in edits:
        text = edit(text)
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so messages name the file as a user would type it: config.toml."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def load(
    *edits: Edit,
    env: dict[str, str] | None = None,
    database_url: str | None = None,
    require_secrets: bool = True,
) -> Settings:
    """Write the config into the current directory and load it as `config.toml`."""
    write(Path.cwd(), *edits)
    return load_settings(
        Path("config.toml"),
        ENV if env is None else env,
        database_url=database_url,
        require_secrets=require_secrets,
    )


def problems(*edits: Edit, env: dict[str, str] | None = None) -> list[str]:
    """The lines of the ConfigError that loading must raise."""
    with pytest.raises(ConfigError) as caught:
        load(*edits, env=env)
    return str(caught.value).splitlines()


# -- the example configuration of the repository


def test_example_config_loads() -> None:
    settings = load_settings(REPO / "config.toml", env={"REFLECTOR_IMAP_PASSWORD": "x"})

    assert settings.group.name == "JCA-QKDN"
    assert settings.group.timezone == "Europe/Zurich"
    assert settings.addresses.secretariat == "qkdn-secretariat@sdo-coord.example"
    assert settings.addresses.reflector == "qkdn-jca@lists.sdo-coord.example"
    assert settings.addresses.reflector_request == "qkdn-jca-request@lists.sdo-coord.example"
    assert [p.name for p in settings.roles.chair] == ["Dr. Amara Okafor"]
    assert [p.name for p in settings.roles.vice_chair] == ["Lin Wei"]
    assert settings.roles.secretariat
    assert settings.imap.host == "imap.sdo-coord.example"
    assert (settings.imap.port, settings.imap.tls, settings.imap.password) == (993, "implicit", "x")
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.tls) == (
        "smtp.sdo-coord.example",
        587,
        "starttls",
    )
    assert settings.lmtp.enabled is False
    assert settings.intake.authserv_ids == ("mx1.sdo-coord.example",)
    assert settings.database.url == f"sqlite+aiosqlite:///{REPO / 'reflector.db'}"
    assert settings.workflows_dir == REPO / "workflows"
    assert settings.templates_dir == REPO / "templates"


def test_example_meetings_are_in_utc() -> None:
    settings = load_settings(REPO / "config.toml", env={"REFLECTOR_IMAP_PASSWORD": "x"})
    seoul, online = settings.meeting("5"), settings.meeting("6")
    assert seoul is not None and online is not None

    # 09:30 in Seoul (UTC+9, no summer time) is 00:30 UTC the same day.
    assert seoul.start == datetime(2026, 10, 14, 0, 30, tzinfo=UTC)
    assert seoul.timezone == "Asia/Seoul"
    assert (seoul.in_person, seoul.remote) == (True, True)
    # The announcement's "2 October 2026, 23:59 UTC", written with Z.
    assert seoul.input_deadline == datetime(2026, 10, 2, 23, 59, tzinfo=UTC)
    # A bare date: 23:59 in Seoul on 7 October.
    assert seoul.registration_deadline == datetime(2026, 10, 7, 14, 59, tzinfo=UTC)
    # 14:00 in Zurich in winter (UTC+1).
    assert online.start == datetime(2027, 1, 20, 13, 0, tzinfo=UTC)
    assert (online.in_person, online.remote) == (False, True)
    assert [m.id for m in settings.meetings] == ["5", "6", "7"]


# -- one kind of mistake, one line

MISTAKES = [
    pytest.param(
        [add("[imap]", 'port = "abc"')],
        'config.toml: [imap].port = "abc": expected an integer 1-65535',
        id="wrong-type",
    ),
    pytest.param(
        [add("[smtp]", "port = 70000")],
        "config.toml: [smtp].port = 70000: expected an integer 1-65535",
        id="port-out-of-range",
    ),
    pytest.param(
        [add("[imap]", "timeout_seconds = true")],
        "config.toml: [imap].timeout_seconds = true: expected an integer 1-3600",
        id="bool-as-int",
    ),
    pytest.param(
        [add("[lmtp]", 'enabled = "yes"')],
        'config.toml: [lmtp].enabled = "yes": expected true or false',
        id="string-as-bool",
    ),
    pytest.param(
        [change('reflector = "list@example.org"', 'reflector = "list@example"')],
        'config.toml: [addresses].reflector = "list@example": expected a valid e-mail address'
        " (The part after the @-sign is not valid. It should have a period.)",
        id="bad-email",
    ),
    pytest.param(
        [change('reflector = "list@example.org"', 'reflector = "Secretariat@example.org"')],
        'config.toml: [addresses].reflector = "Secretariat@example.org": '
        "expected an address other than [addresses].secretariat",
        id="one-address-two-roles",
    ),
    pytest.param(
        [change('"Europe/Zurich"', '"Europe/Geneva"')],
        'config.toml: [group].timezone = "Europe/Geneva": '
        "expected an IANA time zone such as Europe/Zurich",
        id="invalid-zone",
    ),
    pytest.param(
        [change("input_deadline = 2027-01-08", "input_deadline = 2027-01-21")],
        "config.toml: [[meetings]][1].input_deadline = 2027-01-21: "
        "expected a time before the meeting start 2027-01-20 14:00 Europe/Zurich",
        id="deadline-after-start",
    ),
    pytest.param(
        [change("end = 2027-01-20T17:00:00", "end = 2027-01-20T13:00:00")],
        "config.toml: [[meetings]][1].end = 2027-01-20T13:00:00: "
        "expected a time after the start 2027-01-20 14:00 Europe/Zurich",
        id="end-before-start",
    ),
    pytest.param(
        [change("start = 2027-01-20T14:00:00", "start = 2026-03-29T02:30:00")],
        "config.toml: [[meetings]][1].start = 2026-03-29T02:30:00: expected a local time "
        "that exists in Europe/Zurich (clocks jump forward past it that day)",
        id="dst-gap",
    ),
    pytest.param(
        [
            change("start = 2027-01-20T14:00:00", "start = 2026-10-25T01:00:00"),
            change("end = 2027-01-20T17:00:00", "end = 2026-10-25T02:30:00"),
            change("input_deadline = 2027-01-08", "input_deadline = 2026-10-20"),
        ],
        "config.toml: [[meetings]][1].end = 2026-10-25T02:30:00: expected an unambiguous local "
        "time in Europe/Zurich (it occurs twice as clocks go back; write the offset, "
        "e.g. 2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00)",
        id="dst-overlap",
    ),
    pytest.param(
        [change("start = 2027-01-20T14:00:00", "start = 2027-01-20")],
        "config.toml: [[meetings]][1].start = 2027-01-20: expected a date and time such as "
        "2026-10-14T09:30:00 (a date alone does not say when it starts)",
        id="bare-date-start",
    ),
    pytest.param(
        [change("in_person = false\nremote = true", "in_person = false\nremote = false")],
        "config.toml: [[meetings]][1].remote = false: "
        "expected true when in_person is false (nobody could attend)",
        id="nobody-can-attend",
    ),
    pytest.param(
        [add("[imap]", "prot = 993")],
        "config.toml: [imap].prot: expected one of: enabled, host, port, tls, username, "
        "password_env, mailbox, on_done, done_folder, idle_seconds, poll_seconds, "
        'timeout_seconds (unknown key; did you mean "port"?)',
        id="unknown-key",
    ),
    pytest.param(
        [add("[imapp]", 'host = "x"')],
        "config.toml: [imapp]: expected one of: group, addresses, roles, meetings, imap, smtp, "
        "lmtp, intake, database, paths, outbox, numbering, schedule "
        '(unknown key; did you mean "imap"?)',
        id="unknown-section",
    ),
    pytest.param(
        [change('[smtp]\nhost = "smtp.example.org"\n', "[smtp]\n")],
        "config.toml: [smtp].host: expected a host name such as smtp.example.org (required)",
        id="missing-required",
    ),
    pytest.param(
        [change('name = "JCA-QKDN"\n', "")],
        'config.toml: [group].name: expected the short name of the group, such as "JCA-QKDN" '
        "(required)",
        id="missing-group-name",
    ),
    pytest.param(
        [add("[imap]", 'password = "hunter2"')],
        "config.toml: [imap].password: expected no password here; secrets are not read "
        "from config files: set password_env and export that variable",
        id="literal-password",
    ),
    pytest.param(
        [add("[database]", 'url = "mysql://db.example/qkdn"')],
        'config.toml: [database].url = "mysql://db.example/qkdn": '
        "expected a sqlite:/// or postgresql:// URL",
        id="bad-database-url",
    ),
    pytest.param(
        [add("[database]", 'url = "postgresql://bot:s3cret@db.example/qkdn"')],
        'config.toml: [database].url = "postgresql://bot:***@db.example/qkdn": '
        "expected a URL without a password (put it in REFLECTOR_DB or PGPASSWORD)",
        id="password-in-database-url",
    ),
    pytest.param(
        [append(f'[[meetings]]\nid = "6"\n{MEETING_7}')],
        'config.toml: [[meetings]][2].id = "6": '
        "expected an id no other meeting uses ([[meetings]][1] has it too)",
        id="duplicate-meeting-id",
    ),
    pytest.param(
        [append(f'[[meetings]]\nid = "6 bis"\n{MEETING_7}')],
        'config.toml: [[meetings]][2].id = "6 bis": '
        'expected a short id of letters, digits, ".", "_" or "-", such as "6"',
        id="bad-meeting-id",
    ),
    pytest.param(
        [add("[imap]", 'on_done = "move"\ndone_folder = ""')],
        'config.toml: [imap].done_folder = "": '
        'expected a folder name such as "Processed" (on_done is "move")',
        id="move-without-done-folder",
    ),
    pytest.param(
        [add("[imap]", 'tls = "none"')],
        'config.toml: [imap].tls = "none": '
        'expected "implicit" for a server on another machine (imap.example.org)',
        id="cleartext-imap-to-another-host",
    ),
    pytest.param(
        [add("[imap]", "idle_seconds = 1800")],
        "config.toml: [imap].idle_seconds = 1800: "
        "expected an integer 1-1740 (RFC 2177: at most 29 minutes)",
        id="idle-too-long",
    ),
    pytest.param(
        [add("[imap]", 'on_done = "delete"')],
        'config.toml: [imap].on_done = "delete": expected one of "seen", "move"',
        id="bad-choice",
    ),
    pytest.param(
        [change("secretariat = [{", "chair = [{")],
        "config.toml: [roles].secretariat: expected a list of people such as "
        '[{ name = "Lin Wei", email = "lin.wei@example.org" }] (required)',
        id="no-secretariat",
    ),
    pytest.param(
        [add("[intake]", "hold_below = 1.5")],
        "config.toml: [intake].hold_below = 1.5: expected a number from 0 to 1",
        id="hold-below-range",
    ),
    pytest.param(
        [add("[lmtp]", 'recipients = ["secretariat@example.org", "list@"]')],
        'config.toml: [lmtp].recipients[2] = "list@": '
        "expected a valid e-mail address (There must be something after the @-sign.)",
        id="bad-list-item",
    ),
]


@pytest.mark.parametrize(("edits", "line"), MISTAKES)
def test_each_mistake_gives_one_line(in_tmp: Path, edits: list[Edit], line: str) -> None:
    assert problems(*edits) == [line]


def test_missing_password_variable_names_it(in_tmp: Path) -> None:
    assert problems(env={}) == [
        'config.toml: [imap].password_env = "REFLECTOR_IMAP_PASSWORD": expected '
        'REFLECTOR_IMAP_PASSWORD to be set in the environment (the IMAP password of "secretariat"'
        "; or set [imap].enabled = false)"
    ]
    # An empty variable is as good as none.
    assert len(problems(env={"REFLECTOR_IMAP_PASSWORD": ""})) == 1


def test_smtp_password_needed_only_with_a_username(in_tmp: Path) -> None:
    assert load().smtp.password is None
    assert problems(add("[smtp]", 'username = "bot"')) == [
        'config.toml: [smtp].password_env = "REFLECTOR_SMTP_PASSWORD": expected '
        'REFLECTOR_SMTP_PASSWORD to be set in the environment (the SMTP password of "bot")'
    ]
    env = ENV | {"MAIL_PW": "smtp-secret"}
    smtp = load(add("[smtp]", 'username = "bot"\npassword_env = "MAIL_PW"'), env=env).smtp
    assert (smtp.username, smtp.password) == ("bot", "smtp-secret")


def test_secrets_can_be_optional_for_commands_that_do_not_log_in(in_tmp: Path) -> None:
    settings = load(add("[smtp]", 'username = "bot"'), env={}, require_secrets=False)
    assert (settings.imap.password, settings.smtp.password) == ("", None)


def test_imap_disabled_needs_neither_host_nor_password(in_tmp: Path) -> None:
    edit = change(
        '[imap]\nhost = "imap.example.org"\nusername = "secretariat"\n', "[imap]\nenabled = false\n"
    )
    imap = load(edit, env={}).imap
    assert (imap.enabled, imap.host, imap.password) == (False, "", "")


def test_bad_reflector_db_names_the_environment(in_tmp: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(env=ENV | {"REFLECTOR_DB": "mysql://bot:pw@db.example/x"})
    assert str(caught.value) == (
        'environment: REFLECTOR_DB = "mysql://bot:***@db.example/x": '
        "expected a sqlite:/// or postgresql:// URL"
    )


def test_toml_syntax_error_names_line_and_column(in_tmp: Path) -> None:
    (in_tmp / "config.toml").write_text("[imap]\nport = \n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(Path("config.toml"), ENV)
    assert str(caught.value) == "config.toml: line 2, column 8: expected valid TOML (Invalid value)"


def test_missing_file_names_the_path(in_tmp: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(Path("missing.toml"), ENV)
    assert str(caught.value) == (
        f'missing.toml: file = "{in_tmp / "missing.toml"}": '
        "expected an existing file (copy config.toml from the repository)"
    )


def test_secret_values_are_never_echoed(in_tmp: Path) -> None:
    lines = problems(
        add("[smtp]", 'passwd = "hunter2"'),
        add("[database]", 'url = "postgresql://bot:s3cret@db/x?password=s3cret"'),
    )
    assert len(lines) == 2
    assert not any("hunter2" in line or "s3cret" in line for line in lines)
    assert lines[0].startswith("config.toml: [smtp].passwd: expected no passwd here; secrets")


def test_several_mistakes_are_all_reported_in_one_error(in_tmp: Path) -> None:
    lines = problems(
        add("[imap]", 'port = "abc"\nprot = 993'),
        change('"Europe/Zurich"', '"Europe/Geneva"'),
        change('reflector = "list@example.org"', 'reflector = "list@example"'),
        add("[smtp]", "port = 0"),
        env={},
    )
    assert lines == [
        'config.toml: [group].timezone = "Europe/Geneva": '
        "expected an IANA time zone such as Europe/Zurich",
        'config.toml: [addresses].reflector = "list@example": expected a valid e-mail address'
        " (The part after the @-sign is not valid. It should have a period.)",
        "config.toml: [imap].prot: expected one of: enabled, host, port, tls, username, "
        "password_env, mailbox, on_done, done_folder, idle_seconds, poll_seconds, "
        'timeout_seconds (unknown key; did you mean "port"?)',
        'config.toml: [imap].port = "abc": expected an integer 1-65535',
        'config.toml: [imap].password_env = "REFLECTOR_IMAP_PASSWORD": expected '
        'REFLECTOR_IMAP_PASSWORD to be set in the environment (the IMAP password of "secretariat"'
        "; or set [imap].enabled = false)",
        "config.toml: [smtp].port = 0: expected an integer 1-65535",
    ]


# -- values: normalised, defaulted, converted


def test_defaults(in_tmp: Path) -> None:
    settings = load()
    imap, smtp, lmtp, intake = settings.imap, settings.smtp, settings.lmtp, settings.intake
    assert (imap.enabled, imap.port, imap.tls, imap.mailbox) == (True, 993, "implicit", "INBOX")
    assert (imap.on_done, imap.done_folder) == ("seen", "Processed")
    assert (imap.idle_seconds, imap.poll_seconds, imap.timeout_seconds) == (1500, 60, 60)
    assert (smtp.port, smtp.tls, smtp.username, smtp.timeout_seconds) == (587, "starttls", None, 30)
    assert (lmtp.enabled, lmtp.host, lmtp.port) == (False, "127.0.0.1", 2424)
    assert lmtp.recipients == ("secretariat@example.org", "list@example.org")
    assert (intake.max_message_bytes, intake.authserv_ids, intake.hold_below) == (
        25 * 1024 * 1024,
        (),
        0.5,
    )
    assert settings.group.title == "JCA-QKDN"
    assert settings.meetings[0].title == "JCA-QKDN meeting 6"
    assert settings.roles.chair == ()


@pytest.mark.parametrize(("tls", "port"), [("starttls", 587), ("implicit", 465), ("none", 25)])
def test_smtp_port_follows_tls(in_tmp: Path, tls: str, port: int) -> None:
    assert load(add("[smtp]", f'tls = "{tls}"')).smtp.port == port


def test_imap_without_tls_on_this_machine(in_tmp: Path) -> None:
    imap = load(change('host = "imap.example.org"', 'host = "127.0.0.1"\ntls = "none"')).imap
    assert (imap.tls, imap.port) == ("none", 143)


def test_addresses_are_normalised_and_lmtp_recipients_case_folded(in_tmp: Path) -> None:
    settings = load(
        change(
            'secretariat = "secretariat@example.org"', 'secretariat = "Secretariat@Example.ORG"'
        ),
        add("[roles]", 'chair = { name = "Dr. Amara Okafor", email = "Amara@Lagos.EXAMPLE" }'),
    )
    assert settings.addresses.secretariat == "Secretariat@example.org"
    assert settings.lmtp.recipients == ("secretariat@example.org", "list@example.org")
    # A single inline table is one person.
    assert [(p.name, p.email) for p in settings.roles.chair] == [
        ("Dr. Amara Okafor", "Amara@lagos.example")
    ]
    assert "secretariat@example.org" in settings.own_addresses


def test_meeting_times(in_tmp: Path) -> None:
    meeting = load(
        change("start = 2027-01-20T14:00:00", "start = 2027-01-20T14:00:00+01:00"),
        change("end = 2027-01-20T17:00:00", "end = 2027-01-21T02:00:00"),
        add("[[meetings]]", 'timezone = "Asia/Seoul"\nregistration_deadline = 2027-01-13T12:00:00'),
    ).meetings[0]
    # An explicit offset wins over the meeting's zone; local times use the zone.
    assert meeting.start == datetime(2027, 1, 20, 13, 0, tzinfo=UTC)
    assert meeting.end == datetime(2027, 1, 20, 17, 0, tzinfo=UTC)  # 02:00 next day in Seoul
    assert meeting.registration_deadline == datetime(2027, 1, 13, 3, 0, tzinfo=UTC)
    # A bare date is the end of that day in the meeting's zone.
    assert meeting.input_deadline == datetime(2027, 1, 8, 14, 59, tzinfo=UTC)
    assert meeting.zone.key == "Asia/Seoul"


def test_authserv_ids_are_lower_cased(in_tmp: Path) -> None:
    intake = load(add("[intake]", 'authserv_ids = ["MX1.Example.org"]')).intake
    assert intake.authserv_ids == ("mx1.example.org",)


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    directory = tmp_path / "site"
    directory.mkdir()
    path = write(directory, add("[paths]", 'workflows = "flows"\ntemplates = "/srv/templates"'))
    settings = load_settings(path, ENV)
    assert settings.workflows_dir == directory / "flows"
    assert settings.templates_dir == Path("/srv/templates")
    assert settings.file == path


# -- the database URL


def test_database_url_precedence(in_tmp: Path) -> None:
    file_url = add("[database]", 'url = "sqlite:///from-file.db"')

    default = load().database
    assert default == DatabaseSettings(f"sqlite+aiosqlite:///{in_tmp / 'reflector.db'}", "default")

    from_file = load(file_url).database
    assert from_file.url == f"sqlite+aiosqlite:///{in_tmp / 'from-file.db'}"

    env = ENV | {"REFLECTOR_DB": "postgresql://bot:pw@db.example/qkdn"}
    from_env = load(file_url, env=env).database
    assert (from_env.url, from_env.source) == (
        "postgresql+asyncpg://bot:pw@db.example/qkdn",
        "REFLECTOR_DB",
    )

    from_cli = load(file_url, env=env, database_url="postgres://db.example/test").database
    assert (from_cli.url, from_cli.source) == ("postgresql+asyncpg://db.example/test", "--db")


def test_relative_sqlite_path_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "etc" / "reflector"
    site.mkdir(parents=True)
    path = write(site, add("[database]", 'url = "sqlite:///../../var/bot.db"'))
    monkeypatch.chdir("/")  # as a service started by systemd would be
    assert load_settings(path, ENV).database.url == f"sqlite+aiosqlite:///{tmp_path}/var/bot.db"


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("sqlite:///bot.db", "sqlite+aiosqlite:////srv/qkdn/bot.db"),
        ("sqlite:////var/lib/bot.db", "sqlite+aiosqlite:////var/lib/bot.db"),
        ("sqlite+aiosqlite:///bot.db", "sqlite+aiosqlite:////srv/qkdn/bot.db"),
        ("sqlite:///bot.db?timeout=5", "sqlite+aiosqlite:////srv/qkdn/bot.db?timeout=5"),
        ("sqlite://", "sqlite+aiosqlite:///:memory:"),
        ("postgresql://db.example/qkdn", "postgresql+asyncpg://db.example/qkdn"),
        ("postgres://bot@db.example/qkdn", "postgresql+asyncpg://bot@db.example/qkdn"),
        ("postgresql+asyncpg://db.example/qkdn", "postgresql+asyncpg://db.example/qkdn"),
        ("postgresql+psycopg://db.example/qkdn", None),
        ("mysql://db.example/qkdn", None),
        ("reflector.db", None),
        ("sqlite://host/bot.db", None),
    ],
)
def test_normalise_database_url(url: str, normal: str | None) -> None:
    assert normalise_database_url(url, Path("/srv/qkdn")) == normal


# -- secrets


def test_secrets_come_from_the_environment_and_stay_out_of_repr(in_tmp: Path) -> None:
    env = {
        "REFLECTOR_IMAP_PASSWORD": "imap-s3cret",
        "REFLECTOR_SMTP_PASSWORD": "smtp-s3cret",
        "REFLECTOR_DB": "postgresql://bot:db-s3cret@db.example/qkdn",
    }
    settings = load(add("[smtp]", 'username = "bot"'), env=env)

    assert settings.imap.password == "imap-s3cret"
    assert settings.smtp.password == "smtp-s3cret"
    assert settings.database.url == "postgresql+asyncpg://bot:db-s3cret@db.example/qkdn"
    shown = repr(settings)
    assert "s3cret" not in shown
    assert "postgresql+asyncpg://bot:***@db.example/qkdn" in shown
    assert settings.database.display_url == "postgresql+asyncpg://bot:***@db.example/qkdn"


def test_mask_password() -> None:
    assert mask_password("postgresql://bot:pw@db/x?password=pw&sslmode=require") == (
        "postgresql://bot:***@db/x?password=***&sslmode=require"
    )
    assert mask_password("sqlite:////srv/bot.db") == "sqlite:////srv/bot.db"


def test_the_agenda_comes_from_the_file_or_from_config(in_tmp: Path) -> None:
    (in_tmp / "agenda-6.txt").write_text("1. Opening\n2. Inputs\n", encoding="utf-8")
    meeting = load(add("[[meetings]]", 'agenda_file = "agenda-6.txt"')).meetings[0]
    assert meeting.agenda == "1. Opening\n2. Inputs\n"
    assert load(add("[[meetings]]", 'agenda = "1. Opening"')).meetings[0].agenda == "1. Opening"
    assert problems(add("[[meetings]]", 'agenda_file = "missing.txt"'))[0].startswith(
        'config.toml: [[meetings]][1].agenda_file = "missing.txt": '
        "expected a readable UTF-8 text file"
    )
    both = add("[[meetings]]", 'agenda = "x"\nagenda_file = "agenda-6.txt"')
    assert problems(both) == [
        'config.toml: [[meetings]][1].agenda_file = "agenda-6.txt": '
        "expected either agenda or agenda_file, not both"
    ]


def test_schedule_settings_are_checked(in_tmp: Path) -> None:
    assert problems(add("[schedule]", 'reminder_days = [7, 7]\ndigest_time = "8am"')) == [
        "config.toml: [schedule].reminder_days = [7, 7]: expected a list of different whole "
        "numbers of days, 1-365, such as [14, 7, 3, 1]",
        'config.toml: [schedule].digest_time = "8am": expected a time of day such as "08:00"',
    ]
    schedule = load(add("[schedule]", "reminder_days = [1, 14]")).schedule
    assert schedule.reminder_days == (14, 1) and schedule.digest_time == "08:00"
