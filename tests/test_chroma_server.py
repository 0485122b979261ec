"""budgetqa against a real Chroma server (`chroma run`, shipped with the chromadb package): ingest, ask,
re-ingest, prune through BUDGETQA_CHROMA_URL; a server that is down is one line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
CHROMA = Path(sys.executable).parent / "chroma"
ASK = "清城区工信局2024年政府性基金预算财政拨款收入是多少？"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.skip("the `chroma` command is missing (it comes with the chromadb package)")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-data")
    log = (tmp_path_factory.mktemp("chroma-log") / "chroma.log").open("w")
    proc = subprocess.Popen(
        [
            str(CHROMA if CHROMA.exists() else shutil.which("chroma")),
            "run",
            "--path",
            str(data),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=log,
    )
    wait_for_port(proc, port, "chroma run")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


def _cli(home: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"BUDGETQA_HOME": str(home), "BUDGETQA_CHROMA_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(home.parent)}
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_ingest_ask_reingest_and_prune_through_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    r = _cli(home, chroma_url, "ingest", str(corpus))
    assert r.returncode == 0 and "新增 5 份" in r.stdout, r.stderr
    assert not (home / "chroma").exists() and not (home / "dense.npz").exists()  # vectors live on the server
    r = _cli(home, chroma_url, "ask", ASK)
    assert r.returncode == 0 and "✓ 42,400万元" in r.stdout, r.stderr
    r = _cli(home, chroma_url, "ingest", str(corpus))
    assert r.returncode == 0 and "未变 5 份" in r.stdout and "0 段文字已向量化" in r.stdout, r.stdout
    (corpus / "qujiang-gongxinju-2021-jixiao.txt").unlink()
    r = _cli(home, chroma_url, "ingest", "--prune", str(corpus))
    assert r.returncode == 0 and "移除 1 份" in r.stdout, r.stdout
    from ingest.index import VectorStore

    server = VectorStore(home / "unused", "chunks-use-m3", chroma_url)
    assert not [i for i in server.all_ids() if i not in _catalog_ids(home)]  # nothing of the pruned report


def _catalog_ids(home: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(home / "catalog.sqlite") as db:
        return {r[0] for r in db.execute("SELECT chunk_id FROM chunks")}


def test_a_chroma_server_that_is_down_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = _cli(home, f"http://127.0.0.1:{free_port()}", "ingest", str(ROOT / "corpus"))
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 3 and len(lines) == 1 and "vector store" in lines[0] and "Traceback" not in r.stderr
