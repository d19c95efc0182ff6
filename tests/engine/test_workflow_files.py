"""Loading and checking workflow files and templates: every mistake named with file and place."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reflector.checks import check_site
from reflector.engine.workflow import load_workflows
from reflector.render import Renderer, RenderError

from factories import REPO, make_settings

TEMPLATES = Renderer().names()


def write(folder: Path, text: str, name: str = "site.toml") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_in(tmp_path: Path, text: str) -> list[str]:
    write(tmp_path / "workflows", text)
    _, problems = load_workflows(tmp_path / "workflows", TEMPLATES)
    return [str(p) for p in problems]


def test_the_shipped_workflows_and_templates_pass_the_check(tmp_path: Path) -> None:
    assert check_site(make_settings(tmp_path)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[workflow]]\nname = "w"\non = "registration"\n[[workflow.step]]\naction = "send"\n',
            '[[workflow]] "w" step 1: action = "send": expected one of: file_registration',
        ),
        (
            '[[workflow]]\nname = "w"\non = "registration"\nwhen = ["meeting = 6"]\n'
            '[[workflow.step]]\naction = "hold"\nreason = "x"\n',
            '[[workflow]] "w".when = "meeting = 6": expected a condition: not a valid expression',
        ),
        (
            '[[workflow]]\nname = "w"\non = "registration"\n[[workflow.step]]\naction = "reply"\n'
            'template = "registration_akc"\n',
            'step 1: template = "registration_akc": expected a template folder under templates/',
        ),
        (
            '[[workflow]]\nname = "w"\non = "registrations"\n[[workflow.step]]\naction = "hold"\n'
            'reason = "x"\n',
            '[[workflow]] "w".on = "registrations": expected a message kind, one of: registration',
        ),
        (
            '[[workflow]]\nname = "w"\non = "liaison"\n[[workflow.step]]\n'
            'action = "file_registration"\n',
            'step 1: action = "file_registration": expected an action for liaison messages',
        ),
        (
            '[[workflow]]\nname = "w"\non = "other"\n[[workflow.step]]\naction = "notify"\n'
            'to = "treasurer"\ntemplate = "receipt"\n',
            'step 1: to = "treasurer": expected a role ("secretariat", "chair", "vice_chair")',
        ),
        (
            '[[workflow]]\nname = "w"\non = "other"\n[[workflow.step]]\naction = "reply"\n',
            "step 1: template: expected the template folder under templates/",
        ),
        ("[[workflow]\n", "expected valid TOML in UTF-8"),
    ],
    ids=[
        "unknown-action",
        "bad-condition",
        "missing-template",
        "unknown-trigger",
        "action-for-another-kind",
        "unknown-role",
        "missing-parameter",
        "bad-toml",
    ],
)
def test_each_mistake_names_file_workflow_step_and_reason(
    tmp_path: Path, text: str, expected: str
) -> None:
    (problem, *_) = problems_in(tmp_path, text)
    assert problem.startswith(str(tmp_path / "workflows" / "site.toml") + ": ")
    assert expected in problem


def test_check_finds_an_undefined_name_in_a_condition_and_in_a_template(tmp_path: Path) -> None:
    write(
        tmp_path / "workflows",
        '[[workflow]]\nname = "w"\non = "registration"\nwhen = ["registration.modus == 1"]\n'
        '[[workflow.step]]\naction = "reply"\ntemplate = "broken"\n',
    )
    broken = tmp_path / "templates" / "broken"
    broken.mkdir(parents=True)
    (broken / "subject.txt").write_text("Hello {{ sender.nam }}\n")
    (broken / "text.txt").write_text("text\n")
    settings = dataclasses.replace(
        make_settings(tmp_path),
        workflows_dir=tmp_path / "workflows",
        templates_dir=tmp_path / "templates",
    )

    problems = [str(p) for p in check_site(settings)]

    assert any(
        '[[workflow]] "w".when = "registration.modus == 1"' in p and "no attribute 'modus'" in p
        for p in problems
    ), problems
    assert any(
        'step 1 (reply): template = "broken"' in p and "broken/subject.txt" in p and "nam" in p
        for p in problems
    ), problems


def test_a_site_overrides_one_template_file_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "receipt").mkdir()
    (tmp_path / "receipt" / "subject.txt").write_text("Received: {{ message.subject }}\n")
    renderer = Renderer(tmp_path)
    context = {
        "message": {"subject": "Hotel?"},
        "sender": {"name": "Maria"},
        "group": {"name": "JCA-QKDN", "title": "T"},
        "addresses": {"secretariat": "s@x.example"},
    }

    mail = renderer.render("receipt", context)

    assert mail.subject == "Received: Hotel?"
    assert "It has reached the JCA-QKDN" in mail.text  # the shipped text part
    assert mail.html is not None and "Hotel?" in mail.html


def test_templates_run_sandboxed_and_escape_html(tmp_path: Path) -> None:
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "subject.txt").write_text("{{ x.__class__.__mro__ }}\n")
    (tmp_path / "evil" / "text.txt").write_text("{{ x }}\n")
    (tmp_path / "evil" / "html.html").write_text("<p>{{ x }}</p>\n")
    renderer = Renderer(tmp_path)

    with pytest.raises(RenderError, match=r"evil/subject\.txt"):
        renderer.render("evil", {"x": "<script>alert(1)</script>"})
    (tmp_path / "evil" / "subject.txt").write_text("ok\n")
    mail = renderer.render("evil", {"x": "<script>alert(1)</script>"})
    assert mail.text == "<script>alert(1)</script>\n"  # text stays text
    assert mail.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_shipped_workflow_files_are_the_ones_loaded_by_default() -> None:
    found, problems = load_workflows(REPO / "workflows", TEMPLATES)
    assert problems == []
    assert {w.name for w in found.workflows} >= {"registration", "contribution", "liaison"}
