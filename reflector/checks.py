"""`reflector check`: what can be checked before the service starts, beyond config.toml.

Returns problems in the same form as configuration errors (file, key, value, expected), so a
secretariat reads one list:

* every template compiles (syntax, with the line);
* every workflow file loads: known actions and parameters, conditions that compile, templates
  that exist;
* every workflow is tried on a sample message of each kind it handles: each condition is
  evaluated and each step run (whatever its condition), and every mail it would send is
  rendered, so an undefined variable in a condition or a template is found now, naming the
  file, the workflow, the step and the template.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from reflector.config import Meeting, Settings
from reflector.engine.actions import ACTIONS, PlanState
from reflector.engine.apply import workflows_dir
from reflector.engine.conditions import ConditionError
from reflector.engine.effects import FileFact, SendMail
from reflector.engine.facts import Inbound, Records, build_facts
from reflector.engine.workflow import Workflow, load_workflows
from reflector.errors import ConfigProblem
from reflector.render import Renderer, RenderError
from reflector.values import Kind

TEMPLATE_SUFFIXES = (".txt", ".html", ".j2", ".jinja")


def check_site(settings: Settings) -> list[ConfigProblem]:
    renderer = Renderer(settings.templates_dir)
    problems = check_templates(settings.templates_dir)
    if renderer.shipped != settings.templates_dir:
        problems += check_templates(renderer.shipped)
    found, loading = load_workflows(workflows_dir(settings), renderer.names())
    problems += loading
    for workflow in found.workflows:
        for kind in workflow.on:
            problems += check_workflow(workflow, Kind(kind), settings, renderer)
    return problems


def check_templates(directory: Path) -> list[ConfigProblem]:
    """Every template must compile (syntax only; variables are checked with the workflows)."""
    problems: list[ConfigProblem] = []
    env = SandboxedEnvironment()
    files = sorted(p for p in directory.rglob("*") if p.suffix in TEMPLATE_SUFFIXES)
    for path in files if directory.is_dir() else []:
        try:
            env.parse(path.read_text(encoding="utf-8"))
        except TemplateSyntaxError as error:
            problems.append(
                ConfigProblem(
                    str(path), f"line {error.lineno}", None, f"a valid template ({error.message})"
                )
            )
        except UnicodeDecodeError as error:
            problems.append(ConfigProblem(str(path), "(file)", None, f"UTF-8 text ({error})"))
    return problems


def check_workflow(
    workflow: Workflow, kind: Kind, settings: Settings, renderer: Renderer
) -> list[ConfigProblem]:
    """Try `workflow` on a sample message of `kind`; one problem per thing that fails."""
    problems: list[ConfigProblem] = []
    where = f'[[workflow]] "{workflow.name}"'
    meeting = settings.meetings[0] if settings.meetings else _SAMPLE_MEETING
    now = meeting.start - timedelta(days=30)
    inbound = sample_inbound(kind, meeting)
    if kind is Kind.COMMAND and settings.roles.secretariat:  # commands come from the secretariat
        staff = settings.roles.secretariat[0].email.casefold()
        inbound = dataclasses.replace(
            inbound,
            from_email=staff,
            reply_email=staff,
            authenticated=True,
            fields={"command": "release 1"},
        )
    facts = build_facts(inbound, Records(), settings, meeting, "sample", now, {})
    facts["vars"] = dict(workflow.variables)
    for condition in workflow.when:
        try:
            condition.holds(facts)
        except ConditionError as error:
            expected = f"a condition that works for a {kind} message: {error.reason}"
            problems.append(_problem(workflow, f"{where}.when", error.source, expected))
    state = PlanState(inbound, Records(), settings, meeting, facts, now)
    done = {"command": {"ok": True, "summary": "message #1: held: other -> processed: other"}}
    for step in workflow.steps:
        at = f"{where} step {step.number} ({step.action})"
        if step.when is not None:
            try:
                step.when.holds({**facts, "filed": state.filed})
            except ConditionError as error:
                expected = f"a condition that works for a {kind} message: {error.reason}"
                problems.append(_problem(workflow, f"{at}: when", error.source, expected))
        before = len(state.effects)
        ACTIONS[step.action].run(step.params, state)
        for effect in state.effects[before:]:
            if isinstance(effect, SendMail):
                try:
                    renderer.render(effect.template, {**effect.context, **done})
                except RenderError as error:
                    problems.append(
                        _problem(
                            workflow,
                            f"{at}: template",
                            effect.template,
                            f"a template that renders for a {kind} message: {error}",
                        )
                    )
    return problems


def _problem(workflow: Workflow, key: str, value: str, expected: str) -> ConfigProblem:
    return ConfigProblem(workflow.file, key, f'"{value}"', expected)


_SAMPLE_MEETING = Meeting(
    id="1",
    title="Sample meeting",
    place="Online",
    timezone="UTC",
    start=datetime(2030, 1, 10, 9, tzinfo=UTC),
    end=datetime(2030, 1, 10, 17, tzinfo=UTC),
    in_person=True,
    remote=True,
    registration_deadline=datetime(2030, 1, 3, 23, 59, tzinfo=UTC),
    input_deadline=datetime(2030, 1, 1, 23, 59, tzinfo=UTC),
)


def sample_inbound(kind: Kind, meeting: Meeting) -> Inbound:
    """A message of `kind` with every field of the classifier's contract filled in."""
    file = FileFact("sample.docx", "application/octet-stream", 1234, "0" * 64)
    by_kind: dict[Kind, dict[str, Any]] = {
        Kind.REGISTRATION: {
            "action": "register",
            "meeting": meeting.id,
            "people": [
                {
                    "name": "Sample Person",
                    "email": "sample@example.org",
                    "organisation": "Sample Org",
                    "mode": "remote",
                }
            ],
        },
        Kind.CONTRIBUTION: {
            "meeting": meeting.id,
            "title": "Sample input",
            "source": "Sample Org",
            "revision": 0,
            "files": [file.__dict__],
            "links": ["https://example.org/doc"],
        },
        Kind.LIAISON: {
            "source_body": "ETSI",
            "group": "ISG-QKD",
            "title": "Sample LS",
            "for": "action",
            "deadline": "2030-01-05",
            "contact": "contact@example.org",
            "files": [file.__dict__],
        },
    }
    fields = by_kind.get(kind, {})
    return Inbound(
        pk=0,
        message_id="sample@example.org",
        kind=kind,
        confidence=0.9,
        reasons=("sample reason",),
        fields=fields,
        subject=f"Sample {kind} message",
        from_email="sample@example.org",
        from_name="Sample Person",
        reply_email="sample@example.org",
        reply_name="Sample Person",
        date=meeting.start - timedelta(days=30),
        received_at=meeting.start - timedelta(days=30),
        in_reply_to=None,
        references=(),
        text="Sample text.",
        files=(file,),
        no_reply=False,
        list_id=None,
    )
