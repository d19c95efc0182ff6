"""The examples in docstrings are part of the documentation: they must stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import reflector

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(reflector.__path__, "reflector.")
    if ".migrations" not in info.name and info.name != "reflector.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed"
