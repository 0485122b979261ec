"""The README a newcomer follows word for word: CI runs its set-up and test commands, every command is
written as it runs after the set-up (.venv/bin/budgetqa, never a bare `budgetqa` the set-up does not
put on PATH), every command is listed, and the main job's answer is printed as it really prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from ingest.settings import Settings
from tests.conftest import ROOT
from ui.cli import COMMANDS

README = (ROOT / "README.md").read_text(encoding="utf-8")
BARE = re.compile(r"(?<![\w/.])budgetqa (?=[a-z])")  # `budgetqa ask …` not preceded by .venv/bin/


def _blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```[a-z]*\n(.*?)```", text, re.S)]


def test_ci_runs_the_readme_setup_and_test_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    blocks = _blocks(README)
    setup = next(b for b in blocks if "pip install" in b)
    test = next(b for b in blocks if "pytest" in b)
    assert setup in ci
    for line in test.splitlines():
        assert line in ci, line


def test_every_command_is_written_as_it_runs_after_the_setup() -> None:
    code = _blocks(README) + re.findall(r"`([^`\n]+)`", README)
    bare = [c for c in code if BARE.search(c) and "activate" not in c]
    assert not bare, bare
    for name in COMMANDS:
        assert f".venv/bin/budgetqa {name}" in README, name


def test_the_main_job_prints_what_the_readme_shows(corpus_settings: Settings) -> None:
    main_job = next(b for b in _blocks(README) if b.startswith(".venv/bin/budgetqa ingest"))
    question = re.search(r'ask "([^"]+)"', main_job).group(1)
    printed = next(b for b in _blocks(README) if b.startswith("据《"))
    env = dict(os.environ, BUDGETQA_HOME=str(corpus_settings.home))
    proc = subprocess.run(
        [sys.executable, "-m", "ui.cli", "ask", question], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == printed, proc.stdout
