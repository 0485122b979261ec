"""`budgetqa ingest URL`: a report downloaded over http(s) into the home's uploads folder, then read
like any file. Only http and https; never more than BUDGETQA_MAX_FILE_MB (stopped while reading, so a
server that lies about the size, or says none, can't fill the disk)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.parse import unquote, urlparse

from ingest.errors import BackendError, BadInputError
from ingest.settings import Settings

CHUNK = 1 << 16
TIMEOUT = 60  # seconds without a byte before the download is given up
SAFE = re.compile(r"[^\w\-.]+", flags=re.UNICODE)
USER_AGENT = "budgetqa (report download)"
TYPES = {
    "application/pdf": ".pdf",
    "text/html": ".html",
    "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
}


def is_url(text: str) -> bool:
    """Whether an ingest argument names something to download rather than a local path."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text))


def local_paths(args: list[str], settings: Settings) -> list[Path]:
    """The ingest arguments as local paths: each URL downloaded into the uploads folder first."""
    return [fetch(a, settings) if is_url(a) else Path(a) for a in args]


def file_name(url: str, disposition: str | None) -> str:
    """The name the server gives (Content-Disposition, filename* first), else the URL path's last
    part; letters of any script, digits, '-', '_' and '.' only, so it can't leave its folder."""
    name = ""
    if disposition:
        msg = Message()
        msg["content-disposition"] = disposition
        name = msg.get_filename() or ""  # decodes RFC 2231 filename*=UTF-8''…
    if not name:
        name = unquote(urlparse(url).path.rstrip("/").rsplit("/", 1)[-1])
    name = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = SAFE.sub("_", stem).strip("._") or "download"
    suffix = SAFE.sub("", suffix).lower()
    return f"{stem[:120]}.{suffix}" if suffix else stem[:120]


def fetch(url: str, settings: Settings, folder: Path | None = None) -> Path:
    """Download `url` into `folder` (the home's uploads folder); the path of the saved file. The same
    bytes fetched again reuse their file; another file of the same name gets "-1", "-2"….
    BadInputError (a wrong scheme, a too big file) or BackendError (the server or the network) in one
    Chinese line naming the URL."""
    scheme = urlparse(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise BadInputError(f"{url}：只能下载 http 或 https 地址（这是「{scheme}」）；本地文件请直接写路径")
    limit = settings.max_file_mb * 1048576
    folder = folder or settings.uploads_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"无法创建下载文件夹 {folder}（{exc.strerror}）；请检查 BUDGETQA_HOME 的写权限") from None
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (scheme checked above)
            size = response.headers.get("Content-Length")
            if size and size.isdigit() and int(size) > limit:
                raise _too_big(url, int(size), settings)
            name = file_name(response.geturl() or url, response.headers.get("Content-Disposition"))
            if "." not in name:  # "/download?id=3": the type the server names gives the suffix readers go by
                name += TYPES.get(response.headers.get_content_type(), "")
            tmp, digest = _save(response, folder, limit, url, settings)
    except urllib.error.HTTPError as exc:
        raise BackendError(f"{url}：服务器拒绝下载（HTTP {exc.code}）；请在浏览器中确认地址可以打开") from None
    except urllib.error.URLError as exc:
        why = getattr(exc.reason, "strerror", None) or str(exc.reason)
        raise BackendError(f"{url}：连不上服务器（{why}）；请检查地址和网络") from None
    except (TimeoutError, ConnectionError) as exc:
        raise BackendError(f"{url}：下载中断（{exc.__class__.__name__}）；请稍后重试") from None
    return _place(tmp, folder, name, digest)


def _too_big(url: str, size: int, settings: Settings) -> BadInputError:
    return BadInputError(
        f"{url}：文件有 {size / 1048576:.1f} MB 以上，超过 {settings.max_file_mb} MB 的上限；"
        "请调高 BUDGETQA_MAX_FILE_MB 或拆分文件"
    )


def _save(response, folder: Path, limit: int, url: str, settings: Settings) -> tuple[Path, str]:  # noqa: ANN001
    """The body into a temp file beside its final place, stopped past the limit."""
    fd, tmp_name = tempfile.mkstemp(prefix=".download-", dir=folder)
    tmp, sha, got = Path(tmp_name), hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while piece := response.read(CHUNK):
                got += len(piece)
                if got > limit:
                    raise _too_big(url, got, settings)
                sha.update(piece)
                out.write(piece)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if got == 0:
        tmp.unlink(missing_ok=True)
        raise BadInputError(f"{url}：下载到的文件是空的；请在浏览器中确认地址指向报告文件本身")
    return tmp, sha.hexdigest()


def _place(tmp: Path, folder: Path, name: str, digest: str) -> Path:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    i = 0
    while True:
        candidate = folder / (f"{stem}-{i}" if i else stem)
        candidate = candidate.with_name(candidate.name + (f".{suffix}" if suffix else ""))
        if not candidate.exists():
            tmp.replace(candidate)
            return candidate
        if hashlib.sha256(candidate.read_bytes()).hexdigest() == digest:
            tmp.unlink(missing_ok=True)
            return candidate
        i += 1
