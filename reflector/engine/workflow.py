"""workflows/*.toml -> checked `Workflow` values (loading does I/O; the values are pure).

A workflow file holds optional `[vars]` (names its conditions and templates may use as
`vars.x`) and one or more workflows, each with a trigger (`on`), conditions (`when`, all must
hold) and ordered steps, each naming an action from the registry (reflector/engine/actions.py)
and optionally a condition of its own::

    [[workflow]]
    name = "registration"
    on = "registration"
    when = ['registration.action != "cancel"', "meeting is not none"]

      [[workflow.step]]
      action = "file_registration"

      [[workflow.step]]
      action = "notify"
      to = "secretariat"
      template = "late_registration"
      when = "after_deadline"

For a message, the workflows whose `on` names its kind are tried in order (files by name, then
as written); the first whose conditions all hold runs, and only that one.

Every mistake is reported like a configuration error, naming file, workflow, step and reason:

    workflows/registration.toml: [[workflow]] "registration" step 2: template = "ack":
    expected a template folder under templates/ (have: registration_ack, …)
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reflector.configread import toml_value
from reflector.engine.actions import ACTIONS
from reflector.engine.conditions import Condition, ConditionError, compile_condition
from reflector.errors import ConfigError, ConfigProblem
from reflector.values import Kind

TRIGGERS = tuple(k.value for k in (Kind.REGISTRATION, Kind.CONTRIBUTION, Kind.LIAISON))
TRIGGERS += tuple(k.value for k in (Kind.POST, Kind.COMMAND, Kind.OTHER))


@dataclass(frozen=True)
class Step:
    number: int  # from 1, as people count
    action: str
    params: Mapping[str, Any]
    when: Condition | None


@dataclass(frozen=True)
class Workflow:
    name: str
    file: str
    description: str
    on: tuple[str, ...]
    when: tuple[Condition, ...]
    steps: tuple[Step, ...]
    variables: Mapping[str, Any]


@dataclass(frozen=True)
class WorkflowSet:
    workflows: tuple[Workflow, ...]
    directory: Path

    def for_kind(self, kind: str) -> list[Workflow]:
        return [w for w in self.workflows if kind in w.on]


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[ConfigProblem] = []

    def add(self, key: str, value: object, expected: str) -> None:
        shown = None if value is _ABSENT else toml_value(value)
        self.problems.append(ConfigProblem(self.file, key, shown, expected))


_ABSENT = object()


def load_workflows(
    directory: Path, template_names: Iterable[str] | None = None
) -> tuple[WorkflowSet, list[ConfigProblem]]:
    """Read every *.toml in `directory`; return what loaded and every problem found."""
    templates = set(template_names) if template_names is not None else None
    workflows: list[Workflow] = []
    problems: list[ConfigProblem] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
        found, file_problems = _load_file(path, templates)
        problems += file_problems
        for workflow in found:
            if workflow.name in seen:
                problems.append(
                    ConfigProblem(
                        workflow.file,
                        f'[[workflow]] "{workflow.name}"',
                        None,
                        f"a name no other workflow has ({seen[workflow.name]} has it too)",
                    )
                )
            seen.setdefault(workflow.name, str(path))
            workflows.append(workflow)
    return WorkflowSet(tuple(workflows), directory), problems


def load_workflows_or_raise(
    directory: Path, template_names: Iterable[str] | None = None
) -> WorkflowSet:
    found, problems = load_workflows(directory, template_names)
    if problems:
        raise ConfigError(problems)
    return found


def shown_path(path: Path) -> str:
    """`path` relative to the current directory when it is below it (as people typed it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _load_file(
    path: Path, templates: set[str] | None
) -> tuple[list[Workflow], list[ConfigProblem]]:
    out = _Collector(shown_path(path))
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        out.add("(file)", _ABSENT, f"valid TOML in UTF-8 ({error})")
        return [], out.problems
    for key in doc:
        if key not in ("vars", "workflow"):
            out.add(f"[{key}]", _ABSENT, "only [vars] and [[workflow]] tables")
    variables = doc.get("vars", {})
    if not isinstance(variables, dict):
        out.add("vars", variables, "a table such as [vars]")
        variables = {}
    tables = doc.get("workflow", [])
    if not isinstance(tables, list) or not tables:
        out.add("[[workflow]]", _ABSENT, "at least one [[workflow]] table")
        return [], out.problems
    workflows = []
    for index, table in enumerate(tables, 1):
        workflow = _workflow(table, index, variables, out.file, out, templates)
        if workflow is not None:
            workflows.append(workflow)
    return workflows, out.problems


_WORKFLOW_KEYS = ("name", "description", "on", "when", "step")


def _workflow(
    table: Any,
    index: int,
    variables: Mapping[str, Any],
    file: str,
    out: _Collector,
    templates: set[str] | None,
) -> Workflow | None:
    where = f"[[workflow]][{index}]"
    if not isinstance(table, dict):
        out.add(where, table, "a table")
        return None
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        out.add(f"{where}.name", table.get("name", _ABSENT), 'a name such as "registration"')
        name = f"#{index}"
    else:
        where = f'[[workflow]] "{name}"'
    for key in table:
        if key not in _WORKFLOW_KEYS:
            out.add(f"{where}.{key}", table[key], f"one of: {', '.join(_WORKFLOW_KEYS)}")
    on = table.get("on", _ABSENT)
    kinds = [on] if isinstance(on, str) else on
    if not isinstance(kinds, list) or not kinds or any(k not in TRIGGERS for k in kinds):
        out.add(f"{where}.on", on, f"a message kind, one of: {', '.join(TRIGGERS)}")
        kinds = []
    when = _conditions(table.get("when", []), f"{where}.when", out)
    steps_table = table.get("step", _ABSENT)
    if not isinstance(steps_table, list) or not steps_table:
        out.add(f"{where}.step", steps_table, "at least one [[workflow.step]] table")
        steps_table = []
    steps = []
    for number, raw in enumerate(steps_table, 1):
        step = _step(raw, number, f"{where} step {number}", out, templates, kinds)
        if step is not None:
            steps.append(step)
    description = table.get("description", "")
    return Workflow(name, file, str(description), tuple(kinds), when, tuple(steps), variables)


def _conditions(value: Any, key: str, out: _Collector) -> tuple[Condition, ...]:
    sources = [value] if isinstance(value, str) else value
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        out.add(key, value, 'a condition or a list of them, such as ["after_deadline"]')
        return ()
    compiled = []
    for source in sources:
        try:
            compiled.append(compile_condition(source))
        except ConditionError as error:
            out.add(key, source, f"a condition: {error.reason}")
    return tuple(compiled)


def _step(
    raw: Any,
    number: int,
    where: str,
    out: _Collector,
    templates: set[str] | None,
    kinds: list[str],
) -> Step | None:
    if not isinstance(raw, dict):
        out.add(where, raw, "a table with action = ...")
        return None
    name = raw.get("action", _ABSENT)
    action = ACTIONS.get(name) if isinstance(name, str) else None
    if action is None:
        out.add(f"{where}: action", name, f"one of: {', '.join(ACTIONS)}")
        return None
    misplaced = [k for k in kinds if action.kinds and k not in action.kinds]
    if misplaced:
        out.add(f"{where}: action", name, f"an action for {', '.join(misplaced)} messages")
    params = {k: v for k, v in raw.items() if k not in ("action", "when")}
    for key, value in params.items():
        spec = action.params.get(key)
        if spec is None:
            allowed = ", ".join(action.params) or "no parameters"
            out.add(f"{where}: {key}", value, f"a parameter of {name} ({allowed}, when)")
        elif not isinstance(value, spec.kind):
            out.add(f"{where}: {key}", value, spec.help)
    for key, spec in action.params.items():
        if spec.required and key not in params:
            out.add(f"{where}: {key}", _ABSENT, f"{spec.help} (required by {name})")
    template = params.get("template")
    if isinstance(template, str) and templates is not None and template not in templates:
        have = ", ".join(sorted(templates)) or "none"
        out.add(
            f"{where}: template", template, f"a template folder under templates/ (have: {have})"
        )
    to = params.get("to")
    for target in ([to] if isinstance(to, str) else to or []) if name == "notify" else []:
        if not (isinstance(target, str) and ("@" in target or target in _ROLE_NAMES)):
            out.add(
                f"{where}: to",
                target,
                'a role ("secretariat", "chair", "vice_chair") or an address',
            )
    when = _conditions(raw.get("when", []), f"{where}: when", out)
    if len(when) > 1:
        out.add(f"{where}: when", raw.get("when"), "one condition (join several with and)")
    return Step(number, name, params, when[0] if when else None)


_ROLE_NAMES = ("secretariat", "chair", "vice_chair", "vice-chair")
_ROLE_WHAT = 'a role ("secretariat", "chair", "vice_chair") or an address'
