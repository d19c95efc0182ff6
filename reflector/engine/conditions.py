"""Workflow conditions: small Jinja2 expressions evaluated in the sandbox (pure).

    condition = compile_condition('registration.action == "cancel"')
    condition.holds(facts)   # True / False; raises ConditionError on an unknown name

Why Jinja2 expressions rather than a language of our own: sites already write Jinja2 in their
templates, the syntax is documented, and the sandbox keeps a site's workflow file from reaching
Python internals. Tests that read like English are added for the roles a sender may have::

    sender is secretariat      sender is chair      sender is vice_chair
    sender is registered       (for any meeting)    meeting is none
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reflector.errors import ReflectorError

ROLE_TESTS = ("secretariat", "chair", "vice_chair", "registered")


class ConditionError(ReflectorError):
    """A condition that does not compile or names something the facts do not have."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source!r}: {reason}")
        self.source = source
        self.reason = reason


def _role_test(role: str) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        return isinstance(value, Mapping) and role in value.get("roles", ())

    return test


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    for role in ROLE_TESTS:
        env.tests[role] = _role_test(role)
    return env


_ENV = _environment()


@dataclass(frozen=True)
class Condition:
    source: str
    _evaluate: Callable[..., Any]

    def holds(self, facts: Mapping[str, Any]) -> bool:
        """Evaluate against `facts`; an undefined name or a failing operation is an error."""
        try:
            return bool(self._evaluate(**facts))
        except jinja2.UndefinedError as error:
            raise ConditionError(self.source, f"{error.message}") from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as error:
            raise ConditionError(self.source, f"{type(error).__name__}: {error}") from None


def compile_condition(source: str) -> Condition:
    """Compile one expression; raise ConditionError with the syntax problem.

    >>> compile_condition("after_deadline and not sender is secretariat").holds(
    ...     {"after_deadline": True, "sender": {"roles": []}})
    True
    >>> compile_condition("registration.mode = 'remote'")
    Traceback (most recent call last):
    ...
    reflector.engine.conditions.ConditionError: "registration.mode = 'remote'": ...
    """
    try:
        evaluate = _ENV.compile_expression(source, undefined_to_none=False)
    except jinja2.TemplateSyntaxError as error:
        raise ConditionError(source, f"not a valid expression ({error.message})") from None
    return Condition(source, evaluate)
