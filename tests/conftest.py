"""Shared fixtures: one ingest of corpus/ per test session (real use-m3 embeddings, ~6 s)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ingest.pipeline import Store
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REALDATA = ROOT.parent / "shared" / "realdata"


def realdata(name: str) -> Path:
    path = REALDATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the real PDFs live in ../shared/realdata and are never committed")
    return path


def ingested_home(home: Path, paths: list[Path]) -> Settings:
    """Settings of a home with these files ingested (real embeddings), failing on any file's error."""
    settings = Settings(home=home)
    store = Store(settings)
    result = store.ingest(paths)
    store.close()
    assert not result.errors, result.errors
    return settings


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return ingested_home(tmp_path_factory.mktemp("home"), [CORPUS])


@pytest.fixture(scope="session")
def qa(corpus_settings: Settings):  # noqa: ANN201
    from rag.service import QA

    return QA(corpus_settings)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(proc: subprocess.Popen, port: int, what: str, tries: int = 120) -> None:
    """Until the server that proc started accepts connections on port; its exit is an error with its
    output (when captured)."""
    for _ in range(tries):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if proc.poll() is not None:
                said = proc.stderr.read() if proc.stderr else ""
                raise RuntimeError(f"{what} exited with {proc.returncode} {said}".strip()) from None
            time.sleep(0.5)
    raise RuntimeError(f"{what} did not start on port {port}")
