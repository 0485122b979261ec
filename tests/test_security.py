"""Safe to run as a newsroom's server (issue 26): a crafted file fails in one line within its caps, nothing
in the home runs code, logins are hashed and slowed, foreign hosts and cross-site posts are refused, one
writer at a time with readers that never fail, and a full disk is told as a full disk."""

from __future__ import annotations

import io
import os
import pickle  # only to craft the attack: budgetqa itself never imports it
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from ingest.lock import write_lock
from ingest.pipeline import Store
from ingest.settings import Settings
from ingest.snapshots import DenseSnapshot, SparseIndex

ROOT = Path(__file__).resolve().parent.parent
ONE = ROOT / "corpus" / "qujiang-gongxinju-2021-jixiao.txt"
OTHER = ROOT / "corpus" / "beiguan-gongxinju-2024-juesuan.txt"
QUESTION = "曲江区工信局2021年部门预算收入是多少？"  # answered from ONE


def _cli(home: Path, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    full = {"BUDGETQA_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home.parent), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        cwd=ROOT,
        env=full,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _failed_lines(r: subprocess.CompletedProcess) -> list[str]:
    return [ln for ln in r.stderr.splitlines() if ln.strip() and "%|" not in ln and "it/s" not in ln]


# --- crafted PDFs, made by hand ---------------------------------------------------------------------
def _pdf(content: bytes) -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        content,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % x for x in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def one_line_text_pdf(n_bytes: int) -> bytes:
    """A page whose text is one line of n_bytes glyphs (the issue's is 5 MB)."""
    body = b"BT /F1 12 Tf 10 700 Td (" + b"A" * n_bytes + b") Tj ET"
    return _pdf(b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream")


def drawing_bomb_pdf(mb: int = 300) -> bytes:
    """Under a megabyte of deflate holding `mb` MB of drawing commands."""
    z = zlib.compressobj(9)
    unit = b"0 0 m 100 100 l S\n" * 4096
    data = b"".join([z.compress(unit) for _ in range((mb << 20) // len(unit))] + [z.flush()])
    return _pdf(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")


@pytest.mark.parametrize("kind", ["one-line-text", "drawing-bomb"])
def test_a_crafted_pdf_fails_in_one_line_naming_the_cap(tmp_path: Path, kind: str) -> None:
    pdf = tmp_path / f"{kind}.pdf"
    pdf.write_bytes(one_line_text_pdf(5 << 20) if kind == "one-line-text" else drawing_bomb_pdf())
    assert pdf.stat().st_size < 6 << 20
    r = _cli(tmp_path / "home", "ingest", str(pdf))
    lines = _failed_lines(r)
    assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "BUDGETQA_MAX_READ_MB" in lines[0] and "上限" in lines[0] and "第 1 页" in lines[0], lines[0]


def _upload_through_the_app(url: str, name: str, data: bytes, uploaded: list[Path]) -> list[list[str]]:
    """The upload tab's own call, as the browser makes it: the file posted to Gradio's upload route, then
    the 加入索引 handler run through the queue; its result rows (文件, 结果, 说明)."""
    import json

    import httpx

    with httpx.Client(base_url=url, timeout=300) as c:
        (path,) = c.post("/gradio_api/upload", files={"files": (name, data, "application/pdf")}).json()
        uploaded.append(Path(path))
        dep = next(d for d in c.get("/config").json()["dependencies"] if d.get("api_name") == "do_upload")
        session = f"crafted-{os.getpid()}-{name}"
        file = {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
        body = {"data": [[file]], "fn_index": dep["id"], "trigger_id": dep["targets"][0][0], "session_hash": session}
        assert c.post("/gradio_api/queue/join", json=body).status_code == 200
        with c.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                msg = json.loads(line[5:]) if line.startswith("data:") else {}
                if msg.get("msg") == "process_completed":
                    assert msg.get("success"), msg
                    return msg["output"]["data"][0]["data"]
    raise AssertionError("the upload never completed")


def test_crafted_pdfs_uploaded_to_the_web_app_fail_in_one_line_while_it_answers(tmp_path: Path) -> None:
    import json
    import threading

    from conftest import free_port, wait_for_port
    from gradio_client import Client

    home = tmp_path / "home"
    assert _cli(home, "ingest", str(ONE)).returncode == 0
    port = free_port()
    caps = {"BUDGETQA_MAX_READ_MB": "400", "BUDGETQA_MAX_READ_SECONDS": "60", "GRADIO_ANALYTICS_ENABLED": "False"}
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"} | {"BUDGETQA_HOME": str(home), **caps}
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(proc, port, "budgetqa serve")
        client = Client(url, verbose=False)
        uploaded: list[Path] = []
        for name, data in (("one-line-text.pdf", one_line_text_pdf(5 << 20)), ("drawing-bomb.pdf", drawing_bomb_pdf())):
            rows: list[list[str]] = []
            upload = threading.Thread(
                target=lambda n=name, d=data, r=rows: r.extend(_upload_through_the_app(url, n, d, uploaded))
            )
            upload.start()
            answers = []
            while upload.is_alive() or not answers:  # ask while the crafted file is being read
                answers.append(json.loads(client.predict(QUESTION, api_name="/ask")))
            upload.join()
            assert all(a["answer"].strip() and not a["abstained"] and a["citations"] for a in answers), answers
            ((file, verdict, why),) = rows
            assert file == name and verdict == "失败" and "\n" not in why, rows
            assert "上限" in why and "BUDGETQA_MAX_READ_MB" in why and "Traceback" not in why, why
            assert proc.poll() is None  # the server is still up
        hwm_kb = int(
            next(ln for ln in Path(f"/proc/{proc.pid}/status").read_text().splitlines() if "VmHWM" in ln).split()[1]
        )
        assert hwm_kb < 3 << 20, f"the server itself grew to {hwm_kb >> 10} MB"  # reading runs in a capped worker
        assert not list((home / "uploads").glob("*.pdf"))  # a failed file is not kept
        assert all(p.is_relative_to(home / "web-cache") for p in uploaded), uploaded  # Gradio's cache is ours
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_memory_over_the_cap_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    # a page small enough to pass the page cap, too big to read in 400 MB (each glyph is an object)
    pdf = tmp_path / "text.pdf"
    pdf.write_bytes(one_line_text_pdf(600_000))
    r = _cli(tmp_path / "home", "ingest", str(pdf), env={"BUDGETQA_MAX_READ_MB": "400"})
    lines = _failed_lines(r)
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert "内存" in lines[0] and "400 MB" in lines[0] and "BUDGETQA_MAX_READ_MB" in lines[0], lines[0]


def test_a_real_report_reads_under_the_caps(tmp_path: Path) -> None:
    from conftest import realdata

    pdf = realdata("putuo-zhengfuban-2025-bumen-yusuan.pdf")  # a real one, read in a capped worker
    store = Store(Settings(home=tmp_path / "home", max_read_mb=1536))
    result = store.ingest([pdf])
    assert not result.errors and result.added == [pdf.stem] and result.pages > 5
    store.close()


# --- nothing executable in the home ---------------------------------------------------------------
class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_pickle_in_the_home_runs_nothing_and_is_rebuilt(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, "ingest", str(ONE)).returncode == 0
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Boom(marker))
    as_npz = io.BytesIO()
    np.savez(as_npz, format=np.array(2), ids_codes=np.array([_Boom(marker)], dtype=object))
    (home / "bm25.npz").write_bytes(payload)  # a pickle where the index should be
    (home / "dense.npz").write_bytes(as_npz.getvalue())  # an npz whose array needs pickle
    for old in ("bm25.pkl", "dense.pkl"):  # the names older versions read
        (home / old).write_bytes(payload)
    for cached in (home / "cache").glob("*.json"):
        cached.write_bytes(payload)
    r = _cli(home, "ask", "区工信局2021年绩效自评得分是多少？")
    assert r.returncode == 0, r.stderr
    r = _cli(home, "doctor")
    assert not marker.exists()
    assert "旧版本文件：bm25.pkl、dense.pkl" in r.stdout and r.returncode == 1, r.stdout  # reported, never loaded
    assert SparseIndex.load(home / "bm25.npz") is not None  # rebuilt
    assert DenseSnapshot.load(home / "dense.npz") is None  # read as absent …
    assert _cli(home, "doctor", "--repair").returncode == 0
    assert DenseSnapshot.load(home / "dense.npz") is not None  # … and rebuilt by repair
    assert not (home / "bm25.pkl").exists() and not (home / "dense.pkl").exists()  # and the old files removed
    for old in ("bm25.pkl", "dense.pkl"):  # an ingest, the first write after an upgrade, removes them too
        (home / old).write_bytes(payload)
    assert _cli(home, "ingest", str(ONE)).returncode == 0
    assert not (home / "bm25.pkl").exists() and not (home / "dense.pkl").exists()
    assert "旧版本文件：无" in _cli(home, "doctor").stdout
    assert not marker.exists()
    grep = subprocess.run(
        ["grep", "-rlE", "import pickle|pickle\\.load", "ingest", "rag", "ui"], cwd=ROOT, capture_output=True
    )
    assert grep.stdout == b"", grep.stdout


# --- logins and the browser -----------------------------------------------------------------------
def test_user_add_stores_a_hash_and_any_character_logs_in(tmp_path: Path) -> None:
    from ui.auth import Logins, read_auth_file

    home = tmp_path / "home"
    password = "a,b:c d\t密码😀"
    r = _cli(home, "user", "add", "alice", stdin=password + "\n")
    assert r.returncode == 0, r.stderr
    auth = home / "users.auth"
    text = auth.read_text(encoding="utf-8")
    assert password not in text and "scrypt$" in text and (auth.stat().st_mode & 0o077) == 0
    assert Logins(read_auth_file(auth))("alice", password)
    auth.chmod(0o644)
    r = _cli(home, "serve", "--port", "1")
    assert r.returncode == 2 and "chmod 600" in r.stderr, r.stderr
    auth.chmod(0o600)
    auth.write_text("bob:hunter2\n", encoding="utf-8")
    auth.chmod(0o600)
    r = _cli(home, "serve", "--port", "1")
    assert r.returncode == 2 and "明文" in r.stderr, r.stderr


def test_guessing_passwords_is_slowed_then_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.auth as auth

    slept: list[float] = []
    monkeypatch.setattr(auth.time, "sleep", slept.append)
    logins = auth.Logins({"alice": auth.hash_password("right")})
    assert [logins("alice", f"guess{i}") for i in range(5)] == [False] * 5
    assert slept == sorted(slept) and slept[-1] > slept[0] > 0  # each failure waits longer
    assert not logins("alice", "right")  # locked: the right password too
    assert sum(slept) >= 5


def test_a_foreign_host_and_a_cross_site_post_are_refused() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from ui.auth import guard_middleware

    async def ok(_request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/", ok, methods=["GET", "POST"])], middleware=guard_middleware("127.0.0.1", Settings())
    )
    c = TestClient(app, base_url="http://127.0.0.1:7860")
    assert c.get("/").status_code == 200
    assert c.get("/", headers={"host": "rebound.example:7860"}).status_code == 400  # DNS rebinding
    assert c.post("/", headers={"origin": "http://evil.example"}).status_code == 403  # a cross-site upload
    assert c.post("/", headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert c.post("/", headers={"origin": "http://127.0.0.1:7860"}).status_code == 200
    assert c.post("/").status_code == 200  # a script (no Origin) is not a browser


# --- one writer, many readers ---------------------------------------------------------------------
def test_a_second_ingest_waits_or_says_busy_and_doctor_is_clean(tmp_path: Path) -> None:
    home = tmp_path / "home"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "ingest", str(f)],
            cwd=ROOT,
            env={"BUDGETQA_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in (ONE, OTHER)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert _cli(home, "doctor").returncode == 0
    with write_lock(home):  # this process holds the lock: an ingest elsewhere gives up after 1 s
        r = _cli(home, "ingest", str(ONE), env={"BUDGETQA_LOCK_WAIT": "1"})
    lines = _failed_lines(r)
    assert r.returncode == 1 and lines == [f"budgetqa：另一个导入正在进行（进程 {os.getpid()}），请稍后再试"], r.stderr


def test_a_reader_searches_while_an_ingest_writes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    store.ingest([ONE])
    reader = Store(settings, write=False)
    with write_lock(settings.home):  # an ingest is writing: the catalog moved on, the snapshot not yet
        store.catalog.set_meta("generation", str(store.catalog.generation() + 1))
        snap = reader.dense()
        assert snap is not None and set(snap.ids) == reader.catalog.all_chunk_ids()
    assert reader.dense() is None  # no writer: the stale snapshot is not used


def test_a_running_web_app_answers_reports_ingested_elsewhere(tmp_path: Path) -> None:
    from ui.web import App

    home = tmp_path / "home"
    assert _cli(home, "ingest", str(ONE)).returncode == 0
    app = App(Settings(home=home))
    assert set(app.qa.retriever.reports) == {ONE.stem}
    assert _cli(home, "ingest", str(OTHER)).returncode == 0  # the CLI, another process
    assert set(app.qa.retriever.reports) == {ONE.stem, OTHER.stem}


# --- right diagnosis ------------------------------------------------------------------------------
def test_a_full_disk_fails_the_ingest_in_one_line_without_rebuild_advice(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({r.stderr.strip()}): run as root to test a full disk")
    try:
        r = _cli(mnt / "home", "ingest", str(ONE))
        lines = _failed_lines(r)
        assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        assert "磁盘已满" in lines[0] and "--rebuild" not in r.stderr, lines[0]
        left = [p for p in mnt.rglob("*") if ".tmp" in p.name]
        assert not left, left
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_doctor_finds_and_repairs_a_damaged_embedder_cache_and_vector_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, "ingest", str(ONE)).returncode == 0
    weights = next((home / "cache").glob("*.npz"))
    os.truncate(weights, weights.stat().st_size // 2)
    (home / "chroma" / "chroma.sqlite3").write_bytes(b"not a database" * 100)
    r = _cli(home, "doctor")
    assert r.returncode == 1 and "向量模型缓存" in r.stdout and "向量库" in r.stdout, r.stdout + r.stderr
    r = _cli(home, "doctor", "--repair")
    assert r.returncode == 0, r.stdout + r.stderr
    assert _cli(home, "doctor").returncode == 0
    r = _cli(home, "ask", "区工信局2021年绩效自评得分是多少？")
    assert r.returncode == 0, r.stderr
    shutil.rmtree(home)


# --- housekeeping ---------------------------------------------------------------------------------
def test_the_pages_cache_stays_under_its_size_least_recently_used_first(tmp_path: Path) -> None:
    from ingest.datafile import trim_cache

    for i in range(10):  # ten 100 KB pages, used one after the other
        page = tmp_path / f"p{i}.png"
        page.write_bytes(b"x" * 100_000)
        os.utime(page, (1_000_000 + i, 1_000_000 + i))
    fresh = tmp_path / "just-rendered.png"
    fresh.write_bytes(b"x" * 100_000)
    trim_cache(tmp_path, 450_000)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["just-rendered.png", "p7.png", "p8.png", "p9.png"], left


def test_gradio_upload_cache_is_under_the_home_and_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.upload_cache as cache

    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    monkeypatch.setattr(cache, "_sweeper", object())  # no background thread here: the sweep is called below
    settings = Settings(home=tmp_path / "home", upload_cache_mb=1)
    folder = cache.bound_upload_cache(settings)
    assert folder == settings.home / "web-cache" and os.environ["GRADIO_TEMP_DIR"] == str(folder)
    for i in range(8):  # Gradio keeps each file in a folder named by its hash: eight old 300 KB uploads
        sub = folder / f"{i:064x}"
        sub.mkdir()
        (sub / f"report{i}.pdf").write_bytes(b"%PDF" * 75_000)
        os.utime(sub / f"report{i}.pdf", (1_000_000 + i, 1_000_000 + i))
    fresh = folder / ("f" * 64)
    fresh.mkdir()
    (fresh / "just-uploaded.pdf").write_bytes(b"%PDF" * 75_000)  # its handler may still be queued
    assert cache.sweep_upload_cache(folder, settings) == 6 * 300_000
    left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.pdf"))
    assert left == [f"{6:064x}/report6.pdf", f"{7:064x}/report7.pdf", f"{'f' * 64}/just-uploaded.pdf"], left
    assert sorted(p.name for p in folder.iterdir()) == [f"{6:064x}", f"{7:064x}", "f" * 64]  # no empty folder left
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "operator"))  # the operator's own choice is kept
    assert cache.upload_cache_dir(settings) == tmp_path / "operator"


def test_download_folders_of_web_calls_are_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from ingest.datafile import sweep_temp

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old, fresh = Path(tempfile.mkdtemp(prefix="budgetqa-compare-")), Path(tempfile.mkdtemp(prefix="budgetqa-audit-"))
    (old / "对比.csv").write_text("x", encoding="utf-8")
    os.utime(old, (1_000_000, 1_000_000))
    other = tmp_path / "budgetqa-accept"  # not a download folder: never touched
    other.mkdir()
    os.utime(other, (1_000_000, 1_000_000))
    assert sweep_temp() == 1
    assert not old.exists() and fresh.exists() and other.exists()


def test_a_file_name_with_a_newline_or_an_rtl_override_gives_a_safe_doc_id(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    odd = folder / "区工信局\n绩效\u202etxt.txt"
    shutil.copy(ONE, odd)
    store = Store(Settings(home=tmp_path / "home"))
    result = store.ingest([folder])
    (doc_id,) = result.added
    assert "\n" not in doc_id and "\u202e" not in doc_id and doc_id.startswith("区工信局_绩效_txt-")
    assert store.catalog.reports()[0]["path"] == str(odd)  # the name is kept for display
    assert store.ingest([folder]).unchanged == [doc_id]  # the same id the next time
    store.close()
