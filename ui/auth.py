"""Logins and browser safety for `budgetqa serve`.

Users live in an auth file of `name:scrypt$…` lines (a salted scrypt hash, never the password), written by
`budgetqa user add NAME`; the file is refused when group or others may read it. A wrong password costs
a growing delay, and a name with five failures in a row is locked for five minutes (the right password
too), so guessing is slow. Every request must name this server in its Host header (a web page that
rebinds its own domain to 127.0.0.1 is refused), and a state-changing request from a browser must come
from this server's own pages (Origin / Referer / Sec-Fetch-Site), so another site can't post an upload.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import ipaddress
import os
import secrets
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ingest.errors import BadInputError
from ingest.settings import Settings

SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # 16 MB and ~50 ms a check: slow to guess, quick to log in
MAX_FAILURES, LOCKOUT_SECONDS, MAX_DELAY = 5, 300.0, 4.0
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def default_auth_file(settings: Settings) -> Path:
    return settings.home / "users.auth"


# --- passwords ----------------------------------------------------------------------------------
def hash_password(password: str, n: int = SCRYPT["n"], r: int = SCRYPT["r"], p: int = SCRYPT["p"]) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 << 20, dklen=32)
    return f"scrypt${n}${r}${p}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt" or int(n) > 2**20 or int(r) > 32 or int(p) > 16:
            return False
        want = base64.b64decode(digest, validate=True)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 << 20,
            dklen=len(want),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def _valid_name(name: str) -> bool:
    return bool(name) and len(name) <= 64 and all(c.isprintable() and c not in ":\\/ \t" for c in name)


def read_auth_file(path: Path) -> dict[str, str]:
    """name → stored hash. Refused (one Chinese line with the fix) when group or others may read or write
    it, or when a line is not a hash written by `budgetqa user add`."""
    try:
        st = path.stat()
    except OSError:
        raise BadInputError(f"认证文件 {path}：找不到这个文件；请先运行 budgetqa user add 用户名 建立用户") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadInputError(f"认证文件 {path} 不是普通文件；请给出 budgetqa user add 写下的文件")
    if st.st_mode & 0o077:
        raise BadInputError(
            f"认证文件 {path} 的权限是 {stat.S_IMODE(st.st_mode):o}，同组或其他用户也能读取；请运行 chmod 600 {path}"
        )
    users: dict[str, str] = {}
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not _valid_name(name) or not stored.startswith("scrypt$") or stored.count("$") != 5:
            raise BadInputError(
                f"认证文件 {path} 第 {no} 行不是 budgetqa user add 写下的密码散列（不接受明文密码）；"
                "请用 budgetqa user add 用户名 重新设置"
            )
        users[name] = stored
    if not users:
        raise BadInputError(f"认证文件 {path} 中没有用户；请运行 budgetqa user add 用户名")
    return users


def add_user(path: Path, name: str, password: str) -> bool:
    """Add or replace a user; the file is written whole, readable by its owner only. True when the
    user is new."""
    if not _valid_name(name):
        raise BadInputError(f"用户名「{name}」不可用：不能为空、不能含冒号、斜杠或空白，最长 64 个字符")
    if not password:
        raise BadInputError("密码不能为空；请重新运行 budgetqa user add 并输入密码")
    users = read_auth_file(path) if path.exists() else {}
    new = name not in users
    users[name] = hash_password(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# budgetqa users: name:scrypt hash (written by `budgetqa user add`)\n")
            f.writelines(f"{u}:{h}\n" for u, h in users.items())
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return new


class Logins:
    """The `auth` callable for Gradio (and the MCP guard): a wrong password waits a growing delay under one
    lock (parallel guesses queue behind it); five failures in a row lock the name for five minutes."""

    def __init__(self, users: dict[str, str], clock: Callable[[], float] = time.monotonic) -> None:
        self.users = users
        self.clock = clock
        self.failures: dict[str, int] = {}
        self.locked_until: dict[str, float] = {}
        self.lock = threading.Lock()
        self._dummy = hash_password(secrets.token_hex(8))  # an unknown name costs as much as a known one

    def __call__(self, name: str, password: str) -> bool:
        with self.lock:
            now = self.clock()
            if self.locked_until.get(name, 0.0) > now:
                time.sleep(1.0)
                return False
            ok = check_password(password, self.users.get(name, self._dummy)) and name in self.users
            if ok:
                self.failures.pop(name, None)
                return True
            n = self.failures[name] = self.failures.get(name, 0) + 1
            if n >= MAX_FAILURES:
                self.locked_until[name] = now + LOCKOUT_SECONDS
                self.failures.pop(name, None)
            time.sleep(min(MAX_DELAY, 0.5 * 2 ** (n - 1)))  # held under the lock: guesses can't run in parallel
            return False


def serve_logins(auth_file: str, settings: Settings) -> Logins | None:
    """Who may log in to `serve`: the users of --auth FILE, of BUDGETQA_AUTH (a file), or of the home's
    users.auth when it exists; None when there is none of these (an open server)."""
    source = auth_file or settings.auth
    if source and ":" in source and not Path(source).exists():
        raise BadInputError(
            "BUDGETQA_AUTH 不再接受明文的“用户名:密码”；请运行 budgetqa user add 用户名 建立认证文件，"
            "再把 BUDGETQA_AUTH 设为该文件的路径（或用 --auth 文件）"
        )
    path = Path(source) if source else default_auth_file(settings)
    if not source and not path.exists():
        return None
    return Logins(read_auth_file(path))


# --- `budgetqa user add NAME` --------------------------------------------------------------------
def add_user_parser(sub: Any) -> None:  # noqa: ANN401 - argparse's subparsers action
    s = sub.add_parser(
        "user",
        help="管理网页登录用户：budgetqa user add 用户名（密码从提示或标准输入读入，只存散列）",
        description="管理 budgetqa serve 的登录用户。密码以加盐的 scrypt 散列保存，文件只有本人可读。",
        epilog="示例：\n  budgetqa user add reporter\n  budgetqa user add reporter --file 用户.auth",
    )
    s.add_argument("action", choices=["add"], metavar="add", help="add：添加用户或更改其密码")
    s.add_argument("name", metavar="用户名", help="用户名（不含冒号、斜杠和空白）")
    s.add_argument("--file", default="", metavar="文件", help="认证文件（默认：BUDGETQA_HOME/users.auth）")


def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file) if args.file else default_auth_file(settings)
    if sys.stdin.isatty():
        password = getpass.getpass(f"用户 {args.name} 的密码：")
        if getpass.getpass("再输入一次：") != password:
            raise BadInputError("两次输入的密码不一致；请重新运行 budgetqa user add")
    else:  # a script pipes it: the whole first line, spaces, commas and colons included
        password = sys.stdin.readline().rstrip("\r\n")
    new = add_user(path, args.name, password)
    print(f"已{'添加用户' if new else '更新用户'} {args.name}（{path}，仅本人可读）；budgetqa serve 将要求登录")
    return 0


# --- Host header and same-origin checks ------------------------------------------------------------
def allowed_hosts(bind: str) -> set[str]:
    """Names a request may give in its Host header: loopback names for a loopback server; for one open
    to the network, also this machine's names and any IP address (DNS rebinding needs a domain name)."""
    names = set(LOOPBACK)
    if bind not in LOOPBACK:
        names |= {bind.lower(), socket.gethostname().lower(), socket.getfqdn().lower()}
    return names


def _host_only(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class BrowserGuard:
    """ASGI middleware: refuse a Host header naming another server (400), and a state-changing request a
    browser sends from another site (403)."""

    def __init__(self, asgi: Any, bind: str = "127.0.0.1", extra_hosts: tuple[str, ...] = ()) -> None:  # noqa: ANN401
        self.asgi = asgi
        self.open_to_network = bind not in LOOPBACK
        self.hosts = allowed_hosts(bind) | {h.lower() for h in extra_hosts}

    def host_ok(self, host: str) -> bool:
        name = _host_only(host)
        return name in self.hosts or (self.open_to_network and _is_ip(name))

    def origin_ok(self, method: str, headers: dict[str, str]) -> bool:
        if method in SAFE_METHODS:
            return True
        if headers.get("sec-fetch-site", "") == "cross-site":
            return False
        source = headers.get("origin") or headers.get("referer") or ""
        if not source:  # not a browser (curl, a script, the MCP client): the Host check holds
            return True
        if source == "null":
            return False
        return urlsplit(source).netloc.lower() == headers.get("host", "").lower()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:  # noqa: ANN401
        if scope["type"] not in ("http", "websocket"):
            await self.asgi(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method = scope.get("method", "GET") if scope["type"] == "http" else "POST"
        if not self.host_ok(headers.get("host", "")):
            await _refuse(scope, send, 400, "请求的 Host 不是本服务器的地址，已拒绝（防 DNS 重绑定）")
            return
        if not self.origin_ok(method, headers):
            await _refuse(scope, send, 403, "来自其他网站的请求，已拒绝（只接受本服务器页面发出的操作）")
            return
        await self.asgi(scope, receive, send)


async def _refuse(scope: dict, send: Any, status: int, text: str) -> None:  # noqa: ANN401
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
    )
    await send({"type": "http.response.body", "body": text.encode("utf-8")})


def guard_middleware(bind: str, settings: Settings) -> list[Any]:
    """The middleware list to give Gradio's app (launch(app_kwargs={"middleware": …})); names the server
    answers to beyond its own are in BUDGETQA_ALLOWED_HOSTS (a reverse proxy's name)."""
    from starlette.middleware import Middleware

    extra = tuple(h.strip() for h in settings.allowed_hosts.split(",") if h.strip())
    return [Middleware(BrowserGuard, bind=bind, extra_hosts=extra)]
