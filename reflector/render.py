"""Mail wording: Jinja2 templates under templates/, overridable per site (pure after loading).

A template is a folder with up to three files::

    templates/registration_ack/subject.txt   one line (newlines are folded away)
    templates/registration_ack/text.txt      the plain-text part (required)
    templates/registration_ack/html.html     the HTML part (optional; autoescaped)

A site overrides any single file by putting one with the same path in its own folder
(`[paths].templates`); everything else comes from the templates shipped with reflector.
Templates run in Jinja2's sandbox with StrictUndefined, because a site edits them and a
misspelt variable must be an error at `reflector check`, not a blank in a mail to a chair.

    renderer = Renderer(site_dir=settings.templates_dir)
    mail = renderer.render("registration_ack", context)
    mail.subject, mail.text, mail.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reflector.errors import ReflectorError

PARTS = ("subject.txt", "text.txt", "html.html")


class RenderError(ReflectorError):
    """A template is missing, does not compile, or uses a variable the context lacks."""

    def __init__(self, template: str, reason: str):
        super().__init__(f"template {template}: {reason}")
        self.template = template
        self.reason = reason


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


def shipped_dir(name: str) -> Path:
    """Where reflector's own `templates` or `workflows` folder is (wheel or source checkout)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_shipped" / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    return package.parent / name


def local_time(moment: datetime, zone: str, fmt: str = "%A %d %B %Y, %H:%M") -> str:
    """A UTC moment as the wall clock shows it in `zone`, with the zone's abbreviation.

    >>> from datetime import UTC
    >>> local_time(datetime(2027, 1, 20, 13, 0, tzinfo=UTC), "Europe/Zurich")
    'Wednesday 20 January 2027, 14:00 CET'
    """
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


def day(value: date | datetime, zone: str | None = None) -> str:
    """A date as "20 January 2027" (a datetime is first moved to `zone`)."""
    if isinstance(value, datetime) and zone:
        value = value.astimezone(ZoneInfo(zone))
    return f"{value.day} {value.strftime('%B %Y')}"


_REPLY_PREFIX = ("re:", "aw:", "sv:", "antw:", "réf:", "回复:", "答复:")


def reply_subject(subject: str) -> str:
    """The original subject with one "Re: " in front (RFC 5322 s.3.6.5).

    >>> reply_subject("Registration for meeting 6"), reply_subject("RE: Input")
    ('Re: Registration for meeting 6', 'RE: Input')
    """
    subject = " ".join(subject.split())
    if subject.casefold().startswith(_REPLY_PREFIX):
        return subject
    return f"Re: {subject}" if subject else "Re: your message"


def _environment(loader: jinja2.BaseLoader) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["local_time"] = local_time
    env.filters["day"] = day
    env.filters["reply_subject"] = reply_subject
    return env


class Renderer:
    """Renders named templates; the site folder wins over the shipped one, file by file."""

    def __init__(self, site_dir: Path | None = None, shipped: Path | None = None):
        self.site_dir = site_dir
        self.shipped = shipped or shipped_dir("templates")
        folders = [str(d) for d in (site_dir, self.shipped) if d is not None and d.is_dir()]
        self.env = _environment(jinja2.FileSystemLoader(folders))

    def names(self) -> list[str]:
        """Every template name (folders holding a text.txt), sorted."""
        found = {t.rsplit("/", 1)[0] for t in self.env.list_templates() if t.endswith("/text.txt")}
        return sorted(n for n in found if not n.startswith("_"))

    def exists(self, name: str) -> bool:
        return name in self.names()

    def render(self, name: str, context: Mapping[str, Any]) -> RenderedMail:
        """Render subject, text and (if present) HTML; raise RenderError naming the file."""
        subject = " ".join(self._part(name, "subject.txt", context, required=True).split())
        text = self._part(name, "text.txt", context, required=True)
        html = self._part(name, "html.html", context, required=False) or None
        return RenderedMail(subject, text, html)

    def _part(self, name: str, part: str, context: Mapping[str, Any], *, required: bool) -> str:
        path = f"{name}/{part}"
        try:
            template = self.env.get_template(path)
        except jinja2.TemplateNotFound:
            if required:
                raise RenderError(
                    path, "not found in the site's or the shipped templates"
                ) from None
            return ""
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(path, f"line {error.lineno}: {error.message}") from None
        try:
            return template.render(context)
        except jinja2.UndefinedError as error:
            raise RenderError(path, f"{error.message} (not available in this mail)") from None
        except jinja2.TemplateError as error:
            raise RenderError(path, str(error)) from None
        except (TypeError, ValueError, AttributeError) as error:
            raise RenderError(path, f"{type(error).__name__}: {error}") from None
