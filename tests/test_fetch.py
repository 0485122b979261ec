"""`budgetqa ingest URL` against a local HTTP server the test starts: the report downloaded under the
name the server gives (or the URL's), refused for other schemes and past BUDGETQA_MAX_FILE_MB, every
failure one Chinese line, and the downloaded report read like a file."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import CORPUS, ROOT

from ingest.errors import BackendError, BadInputError
from ingest.fetch import fetch, file_name, is_url
from ingest.settings import Settings

REPORT = CORPUS / "qingcheng-gongxinju-2024-juesuan.txt"
CN_NAME = "清城区工信局2024年决算.txt"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        data = REPORT.read_bytes()
        if self.path.startswith("/missing"):
            self.send_error(404)
            return
        self.send_response(200)
        if self.path.startswith("/named"):  # the name in the header, UTF-8 per RFC 6266
            self.send_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(CN_NAME)}")
        if self.path.startswith("/typed"):  # no name anywhere: the type gives the suffix
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        if self.path.startswith("/big"):
            data = data * 400  # ~2 MB, no Content-Length: the limit must stop the read itself
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base() -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_name_from_header_or_path() -> None:
    assert file_name("http://x/a/b/report.PDF?x=1", None) == "report.pdf"
    assert file_name("http://x/get?id=3", f"attachment; filename*=UTF-8''{quote(CN_NAME)}") == CN_NAME
    assert file_name("http://x/%E6%8A%A5%E5%91%8A.pdf", None) == "报告.pdf"
    assert file_name("http://x/../../etc/passwd", 'attachment; filename="../../x y.pdf"') == "x_y.pdf"
    assert is_url("https://a/b.pdf") and is_url("ftp://a/b") and not is_url("corpus/a.txt")


def test_download_named_by_server(base: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    path = fetch(f"{base}/named/get?id=1", settings)
    assert path.name == CN_NAME and path.parent == settings.uploads_dir
    assert path.read_bytes() == REPORT.read_bytes()
    again = fetch(f"{base}/named/get?id=1", settings)  # the same bytes: the same file, no copy
    assert again == path and len(list(settings.uploads_dir.iterdir())) == 1
    plain = fetch(f"{base}/files/{REPORT.name}", settings)
    assert plain.name == REPORT.name
    typed = fetch(f"{base}/typed/download", settings)
    assert typed.name == "download.txt"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/a.pdf", "javascript://x"])
def test_other_schemes_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="只能下载 http 或 https"):
        fetch(url, Settings(home=tmp_path))
    assert not (tmp_path / "uploads").exists()


def test_oversize_refused_and_nothing_left(base: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, max_file_mb=1)
    with pytest.raises(BadInputError, match="超过 1 MB 的上限"):
        fetch(f"{base}/big/report.txt", settings)
    assert list(settings.uploads_dir.iterdir()) == []  # the partial download is gone


def test_server_errors_one_line(base: str, tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="HTTP 404"):
        fetch(f"{base}/missing/report.txt", Settings(home=tmp_path))
    port = base.rsplit(":", 1)[1]
    with pytest.raises(BackendError, match="连不上服务器"):
        fetch(f"http://127.0.0.1:{int(port) + 1 if int(port) < 65535 else 1}/x.pdf", Settings(home=tmp_path))


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, BUDGETQA_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_cli_ingest_url(base: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_cli(home, "ingest", f"{base}/named/get?id=7")
    assert done.returncode == 0, done.stderr
    assert "新增 1 份" in done.stdout
    listed = run_cli(home, "docs")
    assert "清城区工信局2024年决算" in listed.stdout  # the report's id is the server's file name
    bad = run_cli(home, "ingest", "ftp://127.0.0.1/a.pdf")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "只能下载 http 或 https" in bad.stderr
    assert "Traceback" not in bad.stderr
