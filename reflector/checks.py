"""`reflector check`: what can be checked before the service starts, beyond config.toml.

Returns problems in the same form as configuration errors (file, key, value, expected), so a
secretariat reads one list.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from reflector.config import Settings
from reflector.errors import ConfigProblem

TEMPLATE_SUFFIXES = (".txt", ".html", ".j2", ".jinja")


def check_site(settings: Settings) -> list[ConfigProblem]:
    return [*check_workflow_files(settings.workflows_dir), *check_templates(settings.templates_dir)]


def check_workflow_files(directory: Path) -> list[ConfigProblem]:
    """Every workflows/*.toml must at least be valid TOML."""
    problems: list[ConfigProblem] = []
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            problems.append(ConfigProblem(str(path), "(file)", None, f"valid TOML ({error})"))
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
