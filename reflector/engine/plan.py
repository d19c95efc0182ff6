"""plan(): which workflow runs for a message and what it does, as values (pure).

    result = plan(workflows, inbound, records, settings, now)
    result.workflow          # "registration" (or None: no workflow matched, filed only)
    result.effects           # (SavePerson(...), SaveRegistration(...), SendMail(...))
    result.trace()           # JSON kept with the message for `reflector explain`

Nothing here reads the database or the clock: the shell passes the records and `now`, which is
what lets every workflow be tested with fixed values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reflector.config import Settings
from reflector.engine.actions import ACTIONS, PlanState
from reflector.engine.conditions import Condition, ConditionError
from reflector.engine.effects import Effect
from reflector.engine.facts import Inbound, Records, build_facts, resolve_meeting
from reflector.engine.workflow import Workflow, WorkflowSet
from reflector.errors import ReflectorError


class WorkflowError(ReflectorError):
    """A workflow failed while planning (e.g. a condition names something this message lacks)."""


@dataclass(frozen=True)
class Checked:
    """One condition as evaluated: its text and whether it held."""

    source: str
    held: bool


@dataclass(frozen=True)
class Tried:
    workflow: str
    file: str
    conditions: tuple[Checked, ...]
    chosen: bool


@dataclass(frozen=True)
class StepTrace:
    number: int
    action: str
    condition: Checked | None  # None: the step has no condition
    ran: bool


@dataclass(frozen=True)
class Plan:
    workflow: str | None
    file: str | None
    meeting: str | None
    meeting_reason: str
    tried: tuple[Tried, ...]
    steps: tuple[StepTrace, ...]
    effects: tuple[Effect, ...]
    notes: tuple[str, ...]

    def trace(self) -> dict[str, Any]:
        """A JSON-able record of the decision (stored as messages.actions)."""
        return {
            "workflow": self.workflow,
            "file": self.file,
            "meeting": self.meeting,
            "meeting_reason": self.meeting_reason,
            "tried": [
                {
                    "workflow": t.workflow,
                    "file": t.file,
                    "chosen": t.chosen,
                    "conditions": [{"if": c.source, "held": c.held} for c in t.conditions],
                }
                for t in self.tried
            ],
            "steps": [
                {
                    "step": s.number,
                    "action": s.action,
                    "if": s.condition.source if s.condition else None,
                    "ran": s.ran,
                }
                for s in self.steps
            ],
            "effects": [e.describe() for e in self.effects],
            "notes": list(self.notes),
        }


def _check(condition: Condition, facts: dict[str, Any], workflow: Workflow) -> Checked:
    try:
        return Checked(condition.source, condition.holds(facts))
    except ConditionError as error:
        raise WorkflowError(
            f"{workflow.file}: workflow {workflow.name!r}: condition {error}"
        ) from None


def plan(
    workflows: WorkflowSet,
    inbound: Inbound,
    records: Records,
    settings: Settings,
    now: datetime,
) -> Plan:
    """Choose the first workflow for the message's kind whose conditions hold, and run it."""
    named = inbound.fields.get("meeting") if isinstance(inbound.fields, dict) else None
    meeting, meeting_reason = resolve_meeting(named, settings.meetings, now)
    base = build_facts(inbound, records, settings, meeting, meeting_reason, now, {})
    tried: list[Tried] = []
    for workflow in workflows.for_kind(inbound.kind.value):
        facts = {**base, "vars": dict(workflow.variables)}
        checked: list[Checked] = []
        for condition in workflow.when:
            checked.append(_check(condition, facts, workflow))
            if not checked[-1].held:
                break
        chosen = all(c.held for c in checked)
        tried.append(Tried(workflow.name, workflow.file, tuple(checked), chosen))
        if chosen:
            state = PlanState(inbound, records, settings, meeting, facts, now)
            steps = _run_steps(workflow, state)
            return Plan(
                workflow.name,
                workflow.file,
                meeting.id if meeting else None,
                meeting_reason,
                tuple(tried),
                steps,
                tuple(state.effects),
                tuple(state.notes),
            )
    note = f"no workflow for {inbound.kind.value} messages applied: filed only"
    return Plan(
        None,
        None,
        meeting.id if meeting else None,
        meeting_reason,
        tuple(tried),
        (),
        (),
        (note,),
    )


def _run_steps(workflow: Workflow, state: PlanState) -> tuple[StepTrace, ...]:
    traces = []
    for step in workflow.steps:
        checked = None
        if step.when is not None:
            # Later steps see what earlier ones filed (e.g. `filed.document.late`).
            checked = _check(step.when, {**state.facts, "filed": state.filed}, workflow)
        ran = checked is None or checked.held
        if ran:
            ACTIONS[step.action].run(step.params, state)
        traces.append(StepTrace(step.number, step.action, checked, ran))
    return tuple(traces)
