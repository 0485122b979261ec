"""CI runs exactly what the README tells a new user to run."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```\n(.*?)```", text, re.S)]


def test_ci_runs_the_readme_setup_and_test_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    blocks = _blocks(readme)
    setup = next(b for b in blocks if "pip install" in b)
    test = next(b for b in blocks if "pytest" in b)
    assert setup in ci
    for line in test.splitlines():
        assert line in ci, line
