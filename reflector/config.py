"""config.toml -> typed, validated `Settings`.

    settings = load_settings(Path("config.toml"))            # env defaults to os.environ
    settings = load_settings(path, env, database_url="sqlite:///test.db")   # the CLI's --db

Every mistake is collected, then one ConfigError lists them all, one line each, naming the file
(as given), the key, the value as TOML writes it, and what was expected:

    config.toml: [imap].port = "abc": expected an integer 1-65535
    config.toml: [smtp].host: expected a host name such as smtp.example.org (required)

Tables of an array are counted from 1 (`[[meetings]][2]` is the second `[[meetings]]`).

Keys and defaults (the repository's config.toml explains each one for the secretariat):

    [group]      name (required), title (= name), timezone (required, IANA, e.g. Europe/Zurich)
    [addresses]  secretariat, reflector (required), reflector_request (optional)
    [roles]      secretariat (required, at least one), chair, vice_chair (default []):
                 arrays of { name, email }; a single inline table is accepted too
    [[meetings]] id (required, letters digits . _ -, unique), title ("<group> meeting <id>"),
                 place (required), timezone (= [group].timezone), start and end (required),
                 in_person and remote (required, at least one true), registration_deadline
                 and input_deadline (optional; a bare date means 23:59 local that day)
    [imap]       enabled (true), host and username (required when enabled), tls ("implicit" |
                 "none"; "none" only for this machine), port (993 implicit, 143 none),
                 password_env ("REFLECTOR_IMAP_PASSWORD"), mailbox ("INBOX"), on_done ("seen" |
                 "move"), done_folder ("Processed"), idle_seconds (1500, at most 1740),
                 poll_seconds (60), timeout_seconds (60)
    [smtp]       host (required), tls ("starttls" | "implicit" | "none"), port (587, 465, 25),
                 username (none: no login), password_env ("REFLECTOR_SMTP_PASSWORD"),
                 timeout_seconds (30)
    [lmtp]       enabled (false), host ("127.0.0.1"), port (2424), recipients (our addresses)
    [intake]     max_message_bytes (25 MiB), authserv_ids ([]), hold_below (0.5, 0..1)
    [database]   url (see below)
    [paths]      workflows ("workflows"), templates ("templates")

Times: meeting times are TOML local date-times (`2026-10-14T09:30:00`) in the meeting's zone, or
date-times with an offset; they are stored in UTC. A local time that does not exist or happens
twice because of a daylight-saving change is refused rather than silently moved.

Secrets never come from the file: passwords are read from the environment variables that
`password_env` names, and a `password` key anywhere is an error. The database URL is taken from,
in order: the `database_url` argument (`--db`), `REFLECTOR_DB`, `[database].url` (which must not
hold a password: use REFLECTOR_DB or PGPASSWORD), else `sqlite:///reflector.db`. Relative
SQLite paths, and the [paths] folders, are relative to the directory of the config file, not
to the current directory, so a service started from / finds the same files.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reflector.configread import (
    ABSENT,
    Problems,
    Reader,
    has_password,
    mask_password,
    normalise_database_url,
    read_toml,
    show_local,
    under,
)

# ---------------------------------------------------------------------------- the contract


@dataclass(frozen=True)
class Person:
    name: str
    email: str  # normalised by email-validator


@dataclass(frozen=True)
class Meeting:
    id: str  # short stable key used in commands and document numbers, e.g. "6"
    title: str  # "6th meeting of JCA-QKDN"
    place: str  # "Seoul, Republic of Korea" or "Online"
    timezone: str  # IANA zone of the meeting's local times
    start: datetime  # UTC, timezone-aware
    end: datetime  # UTC, timezone-aware
    in_person: bool
    remote: bool
    registration_deadline: datetime | None  # UTC
    input_deadline: datetime | None  # UTC
    agenda: str = ""  # the draft agenda, shown in the announcement
    announce_at: datetime | None = None  # UTC; None: [schedule].announce_days_before the start
    sequence: int = 0  # raised on every change after it was announced (.ics SEQUENCE)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def deadlines(self) -> list[tuple[str, datetime]]:
        """("registration" | "input", UTC moment) for the deadlines this meeting has."""
        found = [("registration", self.registration_deadline), ("input", self.input_deadline)]
        return [(name, moment) for name, moment in found if moment is not None]


@dataclass(frozen=True)
class GroupSettings:
    name: str  # short name, "JCA-QKDN"
    title: str  # full name
    timezone: str  # the secretariat's IANA zone, "Europe/Zurich"


@dataclass(frozen=True)
class AddressSettings:
    secretariat: str  # the bot's mailbox
    reflector: str  # the list address
    reflector_request: str | None  # list commands


@dataclass(frozen=True)
class RoleSettings:
    secretariat: tuple[Person, ...]
    chair: tuple[Person, ...]
    vice_chair: tuple[Person, ...]


@dataclass(frozen=True)
class ImapSettings:
    enabled: bool
    host: str
    port: int
    tls: str  # "implicit" (993) or "none" (only for servers on this machine)
    username: str
    password: str = field(repr=False)  # from the environment variable named by password_env
    mailbox: str
    on_done: str  # "seen" (flag \\Seen) or "move" (to done_folder)
    done_folder: str
    idle_seconds: int  # re-issue IDLE after this long (RFC 2177: at most 29 min)
    poll_seconds: int  # polling interval when the server has no IDLE
    timeout_seconds: int  # limit on every single IMAP command


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str  # "starttls", "implicit" or "none"
    username: str | None
    password: str | None = field(repr=False)
    timeout_seconds: int = 30


@dataclass(frozen=True)
class OutboxSettings:
    rcpt_per_transaction: int  # recipients per SMTP transaction (RFC 5321 s.4.5.3.1.8: >= 100)
    retry_first_seconds: int  # first retry after a 4xx or a network error
    retry_max_seconds: int  # retries back off exponentially up to this interval
    give_up_hours: int  # a mail still not delivered after this long is `expired`
    replies_per_hour: int  # automatic replies to one address per hour, at most
    message_id_domain: str  # right-hand side of our Message-IDs


@dataclass(frozen=True)
class NumberingSettings:
    contribution: str  # "{group}-{meeting}-I-{seq:03d}"; per meeting when it has {meeting}
    liaison: str  # "{group}-LS-{seq:03d}"; {year} allowed


@dataclass(frozen=True)
class ScheduleSettings:
    announce_days_before: int  # announce a meeting this long before it starts (if no announce_at)
    announce_to: tuple[str, ...]  # besides the reflector, e.g. other SDOs' liaison contacts
    reminder_days: tuple[int, ...]  # participants are reminded this many days before a deadline
    reminder_audience: str  # "reflector" (one mail to the list) or "participants"
    warning_days: tuple[int, ...]  # chair and vice-chair are warned this many days before
    eve_time: str  # "HH:MM" local to the meeting, the day before it starts: the chairs' eve mail
    digest_time: str  # "HH:MM" in the group's zone: the secretariat's daily digest
    digest_skip_empty: bool  # no digest on a day with nothing new (default: say "nothing new")
    report_to_chair: bool  # mail the report skeleton to the chair when the meeting has ended


@dataclass(frozen=True)
class LmtpSettings:
    enabled: bool
    host: str
    port: int
    recipients: tuple[str, ...]  # accepted RCPT TO addresses, case-folded


@dataclass(frozen=True)
class IntakeSettings:
    max_message_bytes: int  # larger messages are kept but quarantined
    authserv_ids: tuple[str, ...]  # Authentication-Results we trust (our own MTA)
    hold_below: float  # confidence under which a message is held for the secretariat


@dataclass(frozen=True)
class DatabaseSettings:
    url: str  # SQLAlchemy async URL: sqlite+aiosqlite:///abs/path or postgresql+asyncpg://...
    source: str = "default"  # where the URL came from: "--db", "REFLECTOR_DB", the file, "default"

    @property
    def display_url(self) -> str:
        """The URL with any password replaced by `***`, for logs and `reflector check`."""
        return mask_password(self.url)

    def __repr__(self) -> str:  # REFLECTOR_DB may carry a password: never print it
        return f"DatabaseSettings(url={self.display_url!r}, source={self.source!r})"


@dataclass(frozen=True)
class Settings:
    file: Path  # absolute path of the config file
    group: GroupSettings
    addresses: AddressSettings
    roles: RoleSettings
    meetings: tuple[Meeting, ...]
    imap: ImapSettings
    smtp: SmtpSettings
    lmtp: LmtpSettings
    intake: IntakeSettings
    database: DatabaseSettings
    workflows_dir: Path
    templates_dir: Path
    outbox: OutboxSettings
    numbering: NumberingSettings
    schedule: ScheduleSettings

    @property
    def own_addresses(self) -> frozenset[str]:
        """Every address that is us, case-folded (for loop and spoof checks)."""
        found = {self.addresses.secretariat, self.addresses.reflector}
        if self.addresses.reflector_request:
            found.add(self.addresses.reflector_request)
        return frozenset(a.casefold() for a in found)

    @property
    def group_zone(self) -> ZoneInfo:
        return ZoneInfo(self.group.timezone)

    def meeting(self, meeting_id: str) -> Meeting | None:
        """The meeting with this id, or None: `settings.meeting("6")`."""
        return next((m for m in self.meetings if m.id == meeting_id), None)


# ---------------------------------------------------------------------------- the loader

_HOST = re.compile(r"[A-Za-z0-9_.:\[\]-]+")
_HOST_WHAT = "a host name such as {}"
_MEETING_ID = re.compile(r"[A-Za-z0-9._-]+")
_LOOPBACK = re.compile(r"localhost|127(?:\.\d{1,3}){3}|::1|\[::1\]", re.IGNORECASE)
_PEOPLE = 'a list of people such as [{ name = "Lin Wei", email = "lin.wei@example.org" }]'
_URL_WHAT = "a sqlite:/// or postgresql:// URL"
_DB_HINT = "secrets are not read from config files: put the password in REFLECTOR_DB or PGPASSWORD"
DEFAULT_DATABASE_URL = "sqlite:///reflector.db"
_SECTIONS: tuple[str, ...] = ("group", "addresses", "roles", "meetings", "imap", "smtp", "lmtp")
_SECTIONS += ("intake", "database", "paths", "outbox", "numbering", "schedule")


def load_settings(
    path: Path,
    env: Mapping[str, str] | None = None,
    *,
    database_url: str | None = None,
    require_secrets: bool = True,
) -> Settings:
    """Read and check `path`; raise ConfigError listing every problem, one per line.

    `env` supplies the secrets and REFLECTOR_DB (default: os.environ); `database_url` is the
    command line's --db and wins over both. With `require_secrets=False` (commands that never
    log in to a mail server) a password variable that is unset is not a problem; the password
    is then "" (IMAP) or None (SMTP).

    >>> settings = load_settings(Path("config.toml"), {"REFLECTOR_IMAP_PASSWORD": "x"})
    >>> settings.meeting("5").start.isoformat()
    '2026-10-14T00:30:00+00:00'
    """
    env = os.environ if env is None else env
    doc = read_toml(path)
    base = path.absolute().parent
    problems = Problems(str(path))
    top = Reader(problems, "", doc, _SECTIONS)

    r = top.section("group", ("name", "title", "timezone"))
    name = r.string("name", what='the short name of the group, such as "JCA-QKDN"')
    group_zone = r.zone("timezone", default=None)
    group = GroupSettings(name, r.optional_string("title") or name, group_zone or "")

    addresses = _addresses(
        top.section("addresses", ("secretariat", "reflector", "reflector_request"))
    )
    r = top.section("roles", ("secretariat", "chair", "vice_chair"))
    roles = RoleSettings(
        _people(r, "secretariat", required=True),
        _people(r, "chair", required=False),
        _people(r, "vice_chair", required=False),
    )
    meetings = _meetings(top, name, group_zone, base)
    imap = _imap(top.section("imap", _IMAP_KEYS), env, require_secrets)
    smtp = _smtp(top.section("smtp", _SMTP_KEYS), env, require_secrets)
    lmtp = _lmtp(top.section("lmtp", ("enabled", "host", "port", "recipients")), addresses)
    intake = _intake(top.section("intake", ("max_message_bytes", "authserv_ids", "hold_below")))
    r = top.section("database", ("url",), secret_hint=_DB_HINT)
    database = _database(r, env, database_url, base)
    r = top.section("paths", ("workflows", "templates"))
    workflows = r.string("workflows", "workflows", what='a folder such as "workflows"')
    templates = r.string("templates", "templates", what='a folder such as "templates"')
    outbox = _outbox(top.section("outbox", _OUTBOX_KEYS), addresses)
    numbering = _numbering(top.section("numbering", ("contribution", "liaison")))
    schedule = _schedule(top.section("schedule", _SCHEDULE_KEYS))

    problems.raise_if_any()
    return Settings(
        file=path.absolute(),
        group=group,
        addresses=addresses,
        roles=roles,
        meetings=meetings,
        imap=imap,
        smtp=smtp,
        lmtp=lmtp,
        intake=intake,
        database=database,
        workflows_dir=under(base, workflows),
        templates_dir=under(base, templates),
        outbox=outbox,
        numbering=numbering,
        schedule=schedule,
    )


def _addresses(r: Reader) -> AddressSettings:
    secretariat, reflector = r.email("secretariat") or "", r.email("reflector") or ""
    request = r.email("reflector_request", required=False)
    # One address in two roles would make the bot answer its own list traffic.
    if reflector and reflector.casefold() == secretariat.casefold():
        r.problem("reflector", reflector, "an address other than [addresses].secretariat")
    if request and request.casefold() in (secretariat.casefold(), reflector.casefold()):
        r.problem("reflector_request", request, "an address of its own (not used above)")
    return AddressSettings(secretariat, reflector, request)


def _people(r: Reader, key: str, *, required: bool) -> tuple[Person, ...]:
    value = r.get(key)
    if required and value is ABSENT:
        r.missing(key, _PEOPLE)
    elif required and value == []:
        r.problem(key, value, f"at least one person: {_PEOPLE}")
    return tuple(
        Person(p.string("name", what="the person's name"), p.email("email") or "")
        for p in r.tables(key, ("name", "email"), what=_PEOPLE)
    )


_MEETING_KEYS: tuple[str, ...] = ("id", "title", "place", "timezone", "start", "end")
_MEETING_KEYS += ("in_person", "remote")
_MEETING_KEYS += ("agenda", "agenda_file", "announce_at")
_DEADLINES = ("registration_deadline", "input_deadline")


def parse_meetings(
    tables: list[dict[str, object]], group: GroupSettings, source: str
) -> tuple[Meeting, ...]:
    """Meetings given as TOML-like tables (e.g. by `reflector meetings add`), checked exactly
    like config.toml's [[meetings]]; ConfigError names `source` and each problem."""
    problems = Problems(source)
    found = _meetings(
        Reader(problems, "", {"meetings": tables}, ("meetings",)), group.name, group.timezone
    )
    problems.raise_if_any()
    return found


def _agenda(m: Reader, base: Path | None) -> str:
    """The draft agenda: `agenda` (text) or `agenda_file` (next to config.toml), not both."""
    if m.has("agenda_file"):
        name = m.string("agenda_file", what='a text file such as "agenda-6.txt"')
        if m.has("agenda"):
            m.problem("agenda_file", name, "either agenda or agenda_file, not both")
        if base is None or not name:
            return ""
        try:
            return under(base, name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            m.problem("agenda_file", name, f"a readable UTF-8 text file ({error})")
            return ""
    return m.string("agenda", "", what="the draft agenda as text", allow_empty=True)


def _meetings(
    top: Reader, group_name: str, group_zone: str | None, base: Path | None = None
) -> tuple[Meeting, ...]:
    meetings: list[Meeting] = []
    first: dict[str, str] = {}
    what = "[[meetings]] tables, one per meeting"
    for m in top.tables("meetings", _MEETING_KEYS + _DEADLINES, what=what):
        what_id = 'a short id of letters, digits, ".", "_" or "-", such as "6"'
        mid = m.string("id", what=what_id, pattern=_MEETING_ID)
        if mid in first:
            m.problem("id", mid, f"an id no other meeting uses ({first[mid]} has it too)")
        elif mid:
            first[mid] = m.where
        zone = m.zone("timezone", default=None) if m.has("timezone") else group_zone
        start = m.moment("start", zone, required=True, date_is_end_of_day=False)
        end = m.moment("end", zone, required=True, date_is_end_of_day=False)
        shown_zone = zone or "UTC"
        if start and end and end <= start:
            m.problem(
                "end", m.get("end"), f"a time after the start {show_local(start, shown_zone)}"
            )
        in_person = m.boolean("in_person", default=None)
        remote = m.boolean("remote", default=None)
        both_given = isinstance(m.get("in_person"), bool) and isinstance(m.get("remote"), bool)
        if both_given and not (in_person or remote):
            m.problem("remote", False, "true when in_person is false (nobody could attend)")
        deadlines: list[datetime | None] = []
        for key in _DEADLINES:
            moment = m.moment(key, zone, required=False, date_is_end_of_day=True)
            if moment and start and moment >= start:
                before = f"a time before the meeting start {show_local(start, shown_zone)}"
                m.problem(key, m.get(key), before)
            deadlines.append(moment)
        meetings.append(
            Meeting(
                id=mid,
                title=m.optional_string("title") or f"{group_name} meeting {mid}",
                place=m.string(
                    "place", what='a place such as "Seoul, Republic of Korea" or "Online"'
                ),
                timezone=shown_zone,
                start=start or datetime.min,
                end=end or datetime.min,
                in_person=in_person,
                remote=remote,
                registration_deadline=deadlines[0],
                input_deadline=deadlines[1],
                agenda=_agenda(m, base),
                announce_at=m.moment("announce_at", zone, required=False, date_is_end_of_day=False),
            )
        )
    return tuple(meetings)


_IMAP_KEYS: tuple[str, ...] = ("enabled", "host", "port", "tls", "username", "password_env")
_IMAP_KEYS += ("mailbox", "on_done", "done_folder", "idle_seconds", "poll_seconds")
_IMAP_KEYS += ("timeout_seconds",)


def _imap(r: Reader, env: Mapping[str, str], require_secrets: bool) -> ImapSettings:
    enabled = r.boolean("enabled", default=True)
    needed = None if enabled else ""  # required when enabled, else "" when absent
    host = r.string("host", needed, what=_HOST_WHAT.format("imap.example.org"), pattern=_HOST)
    tls = r.choice("tls", ("implicit", "none"), default="implicit")
    if enabled and tls == "none" and host and not _LOOPBACK.fullmatch(host):
        # Without TLS the password would cross the network in clear text (RFC 8314).
        r.problem("tls", tls, f'"implicit" for a server on another machine ({host})')
    username = r.string("username", needed, what="the login name")
    why = f'the IMAP password of "{username}"; or set [imap].enabled = false'
    needed_for = why if enabled and require_secrets else None
    mailbox = r.string("mailbox", "INBOX", what='a folder name such as "INBOX"')
    on_done = r.choice("on_done", ("seen", "move"), default="seen")
    done = r.string("done_folder", "Processed", what="a folder name", allow_empty=True)
    if on_done == "move" and not done.strip():
        r.problem("done_folder", done, 'a folder name such as "Processed" (on_done is "move")')
    elif on_done == "move" and done == mailbox:
        r.problem("done_folder", done, f'a folder other than the mailbox "{mailbox}"')
    return ImapSettings(
        enabled=enabled,
        host=host,
        port=r.integer("port", 1, 65535, default=993 if tls == "implicit" else 143),
        tls=tls,
        username=username,
        password=r.secret("password_env", "REFLECTOR_IMAP_PASSWORD", env, needed_for),
        mailbox=mailbox,
        on_done=on_done,
        done_folder=done,
        # RFC 2177 §3: servers may drop an IDLE after 30 minutes, so re-issue within 29.
        idle_seconds=r.integer(
            "idle_seconds", 1, 1740, default=1500, note="RFC 2177: at most 29 minutes"
        ),
        poll_seconds=r.integer("poll_seconds", 1, 86400, default=60),
        timeout_seconds=r.integer("timeout_seconds", 1, 3600, default=60),
    )


_SMTP_KEYS = ("host", "port", "tls", "username", "password_env", "timeout_seconds")
_SMTP_PORTS = {"starttls": 587, "implicit": 465, "none": 25}


def _smtp(r: Reader, env: Mapping[str, str], require_secrets: bool) -> SmtpSettings:
    host = r.string("host", what=_HOST_WHAT.format("smtp.example.org"), pattern=_HOST)
    tls = r.choice("tls", tuple(_SMTP_PORTS), default="starttls")
    username = r.optional_string("username", what="the login name (leave it out for no login)")
    why = f'the SMTP password of "{username}"' if username and require_secrets else None
    password = r.secret("password_env", "REFLECTOR_SMTP_PASSWORD", env, why)
    return SmtpSettings(
        host=host,
        port=r.integer("port", 1, 65535, default=_SMTP_PORTS[tls]),
        tls=tls,
        username=username,
        password=(password or None) if username else None,
        timeout_seconds=r.integer("timeout_seconds", 1, 3600, default=30),
    )


def _lmtp(r: Reader, addresses: AddressSettings) -> LmtpSettings:
    ours = (addresses.secretariat, addresses.reflector, addresses.reflector_request)
    what = 'a list of addresses such as ["secretariat@example.org"]'
    found = r.emails("recipients", what=what)
    recipients = tuple(a.casefold() for a in (ours if found is None else found) if a)
    return LmtpSettings(
        enabled=r.boolean("enabled", default=False),
        host=r.string("host", "127.0.0.1", what=_HOST_WHAT.format("127.0.0.1"), pattern=_HOST),
        port=r.integer("port", 1, 65535, default=2424),
        recipients=recipients,
    )


def _intake(r: Reader) -> IntakeSettings:
    host = _HOST_WHAT.format("mx1.example.org")
    authserv_ids = []
    for key, value in r.items("authserv_ids", what=f"a list of names, each {host}") or []:
        if isinstance(value, str) and _HOST.fullmatch(value):
            # authserv-ids are host names, and host names compare case-insensitively.
            authserv_ids.append(value.lower())
        else:
            r.problems.add(key, value, host)
    return IntakeSettings(
        max_message_bytes=r.integer("max_message_bytes", 1, default=25 * 1024 * 1024),
        authserv_ids=tuple(authserv_ids),
        hold_below=r.number("hold_below", 0, 1, default=0.5),
    )


def _database(
    r: Reader, env: Mapping[str, str], cli_url: str | None, base: Path
) -> DatabaseSettings:
    file_url = r.optional_string("url", what=_URL_WHAT)
    if file_url and has_password(file_url):
        what = "a URL without a password (put it in REFLECTOR_DB or PGPASSWORD)"
        r.problem("url", mask_password(file_url), what)
    elif file_url and normalise_database_url(file_url, base) is None:
        r.problem("url", file_url, _URL_WHAT)
    # (origin for a problem line, source, URL); the first given wins.
    candidates: list[tuple[str, str, str]] = [
        ("command line", "--db", cli_url or ""),
        ("environment", "REFLECTOR_DB", env.get("REFLECTOR_DB", "")),
        ("", f"{r.problems.file} [database].url", file_url or ""),
        ("", "default", DEFAULT_DATABASE_URL),
    ]
    origin, source, url = next(c for c in candidates if c[2])
    normal = normalise_database_url(url, base)
    if normal is None and origin:  # a bad file URL was reported above
        r.problems.add(source, mask_password(url), _URL_WHAT, file=origin)
    return DatabaseSettings(normal or "", source)


_OUTBOX_KEYS: tuple[str, ...] = ("rcpt_per_transaction", "retry_first_seconds")
_OUTBOX_KEYS += ("retry_max_seconds", "give_up_hours", "replies_per_hour", "message_id_domain")


def _outbox(r: Reader, addresses: AddressSettings) -> OutboxSettings:
    own_domain = addresses.secretariat.rpartition("@")[2] or "localhost"
    first = r.integer("retry_first_seconds", 1, 86400, default=60)
    return OutboxSettings(
        rcpt_per_transaction=r.integer(
            "rcpt_per_transaction", 1, 1000, default=100, note="RFC 5321 s.4.5.3.1.8: 100"
        ),
        retry_first_seconds=first,
        retry_max_seconds=r.integer("retry_max_seconds", max(first, 1), 7 * 86400, default=3600),
        give_up_hours=r.integer("give_up_hours", 1, 30 * 24, default=5 * 24),
        replies_per_hour=r.integer("replies_per_hour", 1, 10000, default=10),
        message_id_domain=r.string(
            "message_id_domain", own_domain, what=_HOST_WHAT.format(own_domain), pattern=_HOST
        ),
    )


_SEQ_WHAT = 'a pattern with {seq}, such as "{group}-{meeting}-I-{seq:03d}"'
_PATTERN_FIELDS = {
    "contribution": ("group", "meeting", "seq", "year"),
    "liaison": ("group", "seq", "year"),
}


def _numbering(r: Reader) -> NumberingSettings:
    patterns = {
        "contribution": r.string("contribution", "{group}-{meeting}-I-{seq:03d}", what=_SEQ_WHAT),
        "liaison": r.string("liaison", "{group}-LS-{seq:03d}", what=_SEQ_WHAT),
    }
    for key, pattern in patterns.items():
        problem = pattern_problem(pattern, _PATTERN_FIELDS[key])
        if problem:
            r.problem(key, pattern, problem)
    return NumberingSettings(**patterns)


def pattern_problem(pattern: str, allowed: tuple[str, ...]) -> str | None:
    """What is wrong with a numbering pattern, or None.

    >>> pattern_problem("{group}-I-{seq:03d}", ("group", "seq"))
    >>> pattern_problem("{group}-I-{number}", ("group", "seq"))
    'a pattern with {seq}, using only {group} {seq}'
    """
    names = " ".join(f"{{{a}}}" for a in allowed)
    expected = f"a pattern with {{seq}}, using only {names}"
    sample = {a: (1 if a in ("seq", "year") else "X") for a in allowed}
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
        pattern.format(**sample)
    except (KeyError, ValueError, IndexError):
        return expected
    if "seq" not in fields or not fields <= set(allowed):
        return expected
    return None


_SCHEDULE_KEYS: tuple[str, ...] = ("announce_days_before", "announce_to", "reminder_days")
_SCHEDULE_KEYS += ("reminder_audience", "warning_days", "eve_time", "digest_time")
_SCHEDULE_KEYS += ("digest_skip_empty", "report_to_chair")
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _days(r: Reader, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
    value = r.get(key)
    if value is ABSENT:
        return default
    if (
        not isinstance(value, list)
        or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 365 for v in value)
        or len(set(value)) != len(value)
    ):
        r.problem(
            key, value, "a list of different whole numbers of days, 1-365, such as [14, 7, 3, 1]"
        )
        return default
    return tuple(sorted(value, reverse=True))


def _schedule(r: Reader) -> ScheduleSettings:
    clock = 'a time of day such as "08:00"'
    return ScheduleSettings(
        announce_days_before=r.integer("announce_days_before", 1, 730, default=60),
        announce_to=tuple(r.emails("announce_to", what="a list of e-mail addresses") or ()),
        reminder_days=_days(r, "reminder_days", (14, 7, 3, 1)),
        reminder_audience=r.choice(
            "reminder_audience", ("reflector", "participants"), default="reflector"
        ),
        warning_days=_days(r, "warning_days", (7, 1)),
        eve_time=r.string("eve_time", "09:00", what=clock, pattern=_CLOCK),
        digest_time=r.string("digest_time", "08:00", what=clock, pattern=_CLOCK),
        digest_skip_empty=r.boolean("digest_skip_empty", default=False),
        report_to_chair=r.boolean("report_to_chair", default=True),
    )
