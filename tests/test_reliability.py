"""A broken home, a damaged catalog, a read-only home, a killed ingest: one clear line each, nothing
stale, no worker left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REALDATA, free_port, wait_for_port

from ingest.pipeline import Store
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ASK = "清城区工信局2024年政府性基金预算财政拨款收入是多少？"


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"BUDGETQA_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home.parent)}
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _one_line(r: subprocess.CompletedProcess, code: int, *words: str) -> None:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == code, r.stderr
    assert len(lines) == 1 and lines[0].startswith("budgetqa："), r.stderr
    assert "Traceback" not in r.stderr and all(w in lines[0] for w in words), lines[0]


def test_a_home_that_is_a_file_is_named_with_the_fix(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    for args in (["ask", ASK], ["locate", "42400"], ["ingest", str(ROOT / "corpus")]):
        _one_line(_cli(home, *args), 2, "是一个文件而不是文件夹")


def test_reading_commands_never_create_a_home(tmp_path: Path) -> None:
    home = tmp_path / "nothing-here"
    for args in (["docs"], ["ask", ASK], ["audit"], ["locate", "42400"], ["check", "收入42,400万元"]):
        _one_line(_cli(home, *args), 2, "budgetqa ingest")
    assert not home.exists()


def _damage(home: Path, how: str) -> None:
    catalog = home / "catalog.sqlite"
    for extra in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (home / extra).unlink(missing_ok=True)
    os.truncate(catalog, 0 if how == "empty" else catalog.stat().st_size // 2)


@pytest.mark.parametrize("how", ["half", "empty"])
def test_a_damaged_catalog_is_one_line_and_rebuild_repairs_it(
    corpus_settings: Settings, tmp_path: Path, how: str
) -> None:
    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    _damage(home, how)
    for args in (
        ["docs"],
        ["ask", ASK],
        ["audit"],
        ["locate", "42400"],
        ["tables", "qingcheng-gongxinju-2024-juesuan"],
    ):
        _one_line(_cli(home, *args), 1, "已损坏", "ingest --rebuild")
    r = _cli(home, "ingest", "--rebuild", str(ROOT / "corpus"))
    assert r.returncode == 0, r.stderr
    assert "qingcheng-gongxinju-2024-juesuan" in _cli(home, "docs").stdout


def _read_only_view(src: Path, dst: Path, *args: str) -> subprocess.CompletedProcess:
    """Runs budgetqa with BUDGETQA_HOME a read-only bind mount of src, in a user and mount namespace of
    its own (root ignores file modes, so chmod would prove nothing)."""
    dst.mkdir()
    quoted = " ".join(f"'{a}'" for a in args)
    script = (
        f"mount --bind -o ro '{src}' '{dst}' && "
        f"BUDGETQA_HOME='{dst}' HOME='{dst.parent}' PATH=/usr/bin:/bin '{sys.executable}' -m ui.cli {quoted}"
    )
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_a_read_only_home_serves_reading_commands(corpus_settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0 or not shutil.which("unshare"):
        pytest.skip("no user namespaces here (unshare -rm fails): a read-only mount can't be made")
    r = _read_only_view(home, tmp_path / "ro1", "ask", ASK)
    assert r.returncode == 0 and "42,400万元" in r.stdout, r.stderr
    r = _read_only_view(home, tmp_path / "ro2", "check", "清城区工信局2024年政府性基金预算财政拨款收入42,000万元")
    assert r.returncode == 0 and "不符" in r.stdout, r.stderr
    r = _read_only_view(home, tmp_path / "ro3", "locate", "42400")
    assert r.returncode == 0 and "qingcheng" in r.stdout, r.stderr
    r = _read_only_view(home, tmp_path / "ro4", "ingest", str(ROOT / "corpus"))
    _one_line(r, 2, "只读")


def test_ingest_removes_vectors_no_catalog_chunk_has(corpus_settings: Settings, tmp_path: Path) -> None:
    """What a killed ingest leaves (vectors embedded, the catalog swap never done) is deleted by the next."""
    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    store = Store(corpus_settings.with_(home=home))
    vec = store.embedder.embed(["孤立的向量"])[0].tolist()
    store.vectors.col.upsert(ids=["orphan-1", "orphan-2"], embeddings=[vec, vec], metadatas=[{"doc_id": "x"}] * 2)
    result = store.ingest([ROOT / "corpus"])
    assert result.orphans_removed == 2 and not result.errors
    assert set(store.vectors.all_ids()) == store.catalog.all_chunk_ids()


def test_a_batch_with_a_failed_file_exits_1(corpus_settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not a pdf")
    r = _cli(home, "ingest", str(ROOT / "corpus"), str(bad))
    assert r.returncode == 1 and "broken.pdf" in r.stderr and "1 个文件失败" in r.stdout


def _children(pid: int) -> set[int]:
    """Child processes of pid, read from /proc (no `ps` needed)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def test_kill_9_of_ingest_leaves_no_parse_worker(tmp_path: Path) -> None:
    pdfs = sorted(REALDATA.glob("putuo-*.pdf"))[:6] if REALDATA.exists() else []
    if len(pdfs) < 4:
        pytest.skip(f"{REALDATA} is absent: the real PDFs live in ../shared/realdata")
    env = dict(os.environ, BUDGETQA_HOME=str(tmp_path / "home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "ingest", *map(str, pdfs)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    for _ in range(600):  # the pool starts its workers once files are planned
        workers = {
            c for c in _children(proc.pid) if "multiprocessing" in Path(f"/proc/{c}/cmdline").read_text(errors="ignore")
        }
        if len(workers) >= 2 or proc.poll() is not None:
            break
        time.sleep(0.05)
    if not workers:
        proc.kill()
        pytest.skip("the ingest finished before its workers could be seen")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 15
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.2)
    alive = [
        w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]
    ]
    assert not alive, f"parse workers {alive} outlived the killed ingest"


def test_the_same_content_under_another_name_is_indexed_once(corpus_settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    copies = tmp_path / "copies"
    copies.mkdir()
    src = ROOT / "corpus" / "beiguan-gongxinju-2024-juesuan.txt"
    for name in ("report-a.txt", "report-b.txt"):
        shutil.copy(src, copies / name)
    r = _cli(home, "ingest", str(copies))
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("同样的内容已作为 beiguan-gongxinju-2024-juesuan 读入") == 2
    docs = _cli(home, "docs").stdout
    assert "report-a" not in docs and "report-b" not in docs


def test_kind_and_year_come_from_the_document_not_its_file_name(tmp_path: Path) -> None:
    """A 决算 saved as "download (3).txt", and one whose name says the wrong kind and year."""
    src = (ROOT / "corpus" / "qujiang-gongxinju-2021-jixiao.txt").read_bytes()
    juesuan = (ROOT / "corpus" / "beiguan-gongxinju-2024-juesuan.txt").read_bytes()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "download-3.txt").write_bytes(src)
    (folder / "2019-yusuan-misnamed.txt").write_bytes(juesuan)
    store = Store(Settings(home=tmp_path / "home"))
    assert not store.ingest([folder]).errors
    got = {r["doc_id"]: (r["kind"], r["year"]) for r in store.catalog.reports()}
    assert got == {"download-3": ("绩效自评", 2021), "2019-yusuan-misnamed": ("决算", 2024)}


def _serve(home: Path, *args: str, env_extra: dict | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, BUDGETQA_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", **(env_extra or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_port(proc, port, "budgetqa serve", tries=240)
    return proc, port


def test_serve_with_auth_refuses_strangers_and_admits_users(corpus_settings: Settings, tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    users = tmp_path / "users.auth"  # written by `budgetqa user add` (a salted hash); any character in a password
    password = "s3cret, with: spaces"
    added = subprocess.run(
        [sys.executable, "-m", "ui.cli", "user", "add", "reporter", "--file", str(users)],
        cwd=ROOT,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0 and password not in users.read_text(encoding="utf-8"), added.stderr
    proc, port = _serve(corpus_settings.home, "--auth", str(users))
    try:
        with pytest.raises(urllib.error.HTTPError, match="401"):  # the app's config is not served to strangers
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config")
        rebound = urllib.request.Request(f"http://127.0.0.1:{port}/config", headers={"Host": f"evil.example:{port}"})
        with pytest.raises(urllib.error.HTTPError, match="400"):  # DNS rebinding: a foreign Host is refused
            urllib.request.urlopen(rebound)
        from gradio_client import Client

        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own types for a refused login
            Client(f"http://127.0.0.1:{port}/", verbose=False)
        client = Client(f"http://127.0.0.1:{port}/", auth=("reporter", password), verbose=False)
        hits = json.loads(client.predict("42400", api_name="/locate"))["hits"]  # the HTTP API (ui/web_api.py)
        assert hits
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_warns_when_open_to_the_network_without_auth(corpus_settings: Settings) -> None:
    proc, _ = _serve(corpus_settings.home, "--host", "0.0.0.0")
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    assert "没有 --auth" in err and "budgetqa user add" in err
    r = subprocess.run(
        [sys.executable, "-m", "ui.cli", "serve", "--auth", "/nonexistent/users.txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "找不到这个文件" in r.stderr and "Traceback" not in r.stderr


def test_doctor_finds_and_repairs_what_does_not_match_the_catalog(corpus_settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    store = Store(corpus_settings.with_(home=home))
    vec = store.embedder.embed(["孤立的向量"])[0].tolist()
    store.vectors.col.upsert(ids=["orphan"], embeddings=[vec], metadatas=[{"doc_id": "x"}])
    lost = sorted(store.catalog.all_chunk_ids())[0]
    store.vectors.delete([lost])
    (home / "bm25.npz").unlink()
    store.close()
    r = _cli(home, "doctor")
    assert r.returncode == 1 and "doctor --repair" in r.stderr
    for problem in (
        "1 个向量没有对应的段落",
        "1 段文字没有向量",
        "关键词索引：过期、缺失或已损坏",
    ):
        assert problem in r.stdout, r.stdout
    r = _cli(home, "doctor", "--repair")
    assert r.returncode == 0 and r.stdout.count("已修复") == 3, r.stdout
    r = _cli(home, "doctor")
    assert r.returncode == 0 and "有问题" not in r.stdout, r.stdout
    assert "42,400万元" in _cli(home, "ask", ASK).stdout


def test_a_file_over_the_size_limit_is_refused_with_the_setting_to_change(tmp_path: Path) -> None:
    big = tmp_path / "in" / "huge-2024-juesuan.txt"
    big.parent.mkdir()
    big.write_bytes(("第一部分 部门概况\n" * 200_000).encode("utf-8"))  # about 5 MB
    env_home = tmp_path / "home"
    env = {"BUDGETQA_HOME": str(env_home), "BUDGETQA_MAX_FILE_MB": "2", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "ui.cli", "ingest", str(big.parent)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 1 and "超过 2 MB 的上限" in r.stderr and "BUDGETQA_MAX_FILE_MB" in r.stderr


def test_ingest_counts_chunks_as_they_are_embedded_and_indexed(tmp_path: Path) -> None:
    seen: list[tuple[str, str, int, int]] = []
    store = Store(Settings(home=tmp_path / "home"))
    result = store.ingest([ROOT / "corpus" / "beiguan-gongxinju-2024-juesuan.txt"], on_chunks=lambda *a: seen.append(a))
    doc, n = "beiguan-gongxinju-2024-juesuan", result.chunks_embedded
    embed = [a for a in seen if a[0] == "embed"]
    assert embed and embed[-1] == ("embed", doc, n, n)
    assert [d for _, _, d, _ in embed] == sorted(d for _, _, d, _ in embed)  # counts only go up
    assert seen[-1] == ("index", doc, n, n)  # indexing comes after embedding and is counted too
