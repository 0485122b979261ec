"""One writer, many readers, and what went wrong when writing the home.

An ingest (and `doctor --repair`, `ingest --rebuild`) holds an exclusive lock on `ingest.lock` in the home
(fcntl.flock: released by the kernel when the process ends, even by kill -9). A second writer waits up to
BUDGETQA_LOCK_WAIT seconds, then says which process holds it. Readers take no lock: they read the
catalog, which SQLite keeps consistent, and look at the lock only to know whether an ingest is running.

Taking the lock also removes the pickle files an older version left (bm25.pkl, dense.pkl): never read.

A failed write is told apart by its cause: a full disk, a home that can't be written, another writer, or
a damaged catalog (only when SQLite's own integrity check says so) — each with its own line and fix.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from ingest.datafile import remove_old_pickles
from ingest.errors import BudgetQAError

LOCK_NAME = "ingest.lock"
LOW_SPACE = 1 << 20  # under 1 MB free, a failed write is put down to the full disk


class Busy(BudgetQAError):
    """Another process is writing the home."""


class DiskFull(BudgetQAError):
    """The disk of the home has no space left."""


class ReadOnlyHome(BudgetQAError):
    """The home can't be written (a read-only mount, no write permission)."""


_held: dict[str, tuple[int, int]] = {}  # home → (fd, depth): nested writers of one process share the lock
_guard = threading.RLock()  # threads of one process (web uploads) take turns


def _key(home: Path) -> str:
    return str(home.resolve())


def holder(home: Path) -> int | None:
    """The process id written in the lock file (the last writer; it may have ended)."""
    try:
        text = (home / LOCK_NAME).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def busy_line(home: Path) -> str:
    pid = holder(home)
    return f"另一个导入正在进行（进程 {pid if pid else '未知'}），请稍后再试"


@contextmanager
def write_lock(home: Path, wait: float = 120.0) -> Iterator[None]:
    """Hold the home's writer lock for the block; wait up to `wait` seconds for another writer, then raise
    Busy. Re-entrant within a process."""
    deadline = time.monotonic() + max(0.0, wait)
    if not _guard.acquire(timeout=max(0.01, wait)):
        raise Busy(busy_line(home))
    try:
        key = _key(home)
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            try:
                yield
            finally:
                _held[key] = (fd, _held[key][1] - 1)
            return
        try:
            home.mkdir(parents=True, exist_ok=True)
            fd = os.open(home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise classify(exc, home) or exc from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise Busy(busy_line(home)) from None
                    time.sleep(0.2)
            try:  # who holds it, for the line a waiting writer prints; a full disk must not stop the lock
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
            except OSError:
                pass
            _held[key] = (fd, 1)
            remove_old_pickles(home)  # an older version's bm25.pkl/dense.pkl: never read, gone on the first write
            try:
                yield
            finally:
                del _held[key]
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        _guard.release()


def held_here(home: Path) -> bool:
    """True inside a write_lock block of this process."""
    return _key(home) in _held


def writer_running(home: Path) -> bool:
    """Whether some process (this one included) holds the home's writer lock right now."""
    if held_here(home):
        return True
    try:
        fd = os.open(home / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


# --- diagnosis -----------------------------------------------------------------------------------
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PERM = (
    5,
    6,
    8,
    10,
    13,
    14,
    3,
)


def free_bytes(home: Path) -> int | None:
    at = home
    while not at.exists() and at != at.parent:
        at = at.parent
    try:
        return shutil.disk_usage(at).free
    except OSError:
        return None


def disk_full_line(home: Path) -> str:
    return (
        f"磁盘已满：BUDGETQA_HOME={home} 所在的磁盘没有剩余空间，本次导入没有完成（已有的索引未受影响）；"
        "请清理磁盘空间后重新运行 budgetqa ingest"
    )


def read_only_line(home: Path) -> str:
    return (
        f"无法写入 BUDGETQA_HOME={home}（只读的磁盘或没有写权限）；请把 BUDGETQA_HOME 设为可写的文件夹，"
        "或给这个文件夹写权限"
    )


def classify(exc: BaseException, home: Path) -> BudgetQAError | None:
    """The cause of a failed write as one line with its fix, or None when it is none of: a full disk, a
    home that can't be written, another writer. A damaged catalog is not guessed from the error: see
    catalog_damaged."""
    if isinstance(exc, Busy | DiskFull | ReadOnlyHome):
        return exc
    code = getattr(exc, "errno", None)
    sql = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc).lower()
    if code == errno.ENOSPC or code == errno.EDQUOT or sql == SQLITE_FULL or "disk is full" in text:
        return DiskFull(disk_full_line(home))
    if "no space left" in text:
        return DiskFull(disk_full_line(home))
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or sql in (SQLITE_READONLY, SQLITE_PERM):
        return ReadOnlyHome(read_only_line(home))
    if "readonly database" in text or "read-only file system" in text or "permission denied" in text:
        return ReadOnlyHome(read_only_line(home))
    if sql in (SQLITE_BUSY, SQLITE_LOCKED) or "database is locked" in text:
        return Busy(busy_line(home))
    free = free_bytes(home)
    if free is not None and free < LOW_SPACE and (code is not None or sql or isinstance(exc, sqlite3.Error)):
        return DiskFull(disk_full_line(home))  # an I/O error on a disk with nothing left
    return None


def catalog_damaged(db: Path) -> str | None:
    """What SQLite's integrity check finds wrong with the catalog file (None: it is whole, or can't be
    checked — then it is not called damaged)."""
    if not db.exists():
        return None
    if db.stat().st_size == 0:
        return "文件为空"
    try:
        con = sqlite3.connect(f"file:{quote(str(db.resolve()))}?mode=ro", uri=True, timeout=5)
        try:
            verdict = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        return str(exc) if code in (11, 26) else None  # SQLITE_CORRUPT, SQLITE_NOTADB
    return None if verdict == "ok" else str(verdict)


@contextmanager
def writing(home: Path, wait: float = 120.0) -> Iterator[None]:
    """The writer lock, and a failed write told by its cause (Busy, DiskFull, ReadOnlyHome); any other
    error passes unchanged."""
    with write_lock(home, wait):
        try:
            yield
        except BudgetQAError:
            raise
        except Exception as exc:
            told = classify(exc, home)
            if told is None:
                raise
            raise told from exc


def damaged_line(db: Path, why: str) -> str:
    return f"索引目录数据库 {db} 已损坏（{why}）；请运行 budgetqa ingest --rebuild 报告文件或文件夹 重新读入报告"


def open_failure(exc: BaseException, db: Path) -> BudgetQAError:
    """What to tell when the catalog can't be opened or read: its cause (full disk, read-only, another
    writer); "damaged, --rebuild" only when SQLite's integrity check finds it damaged (a rebuild throws
    away a good index); otherwise the error as it is, with the advice to run `budgetqa doctor`."""
    told = classify(exc, db.parent)
    if told is not None:
        return told
    why = catalog_damaged(db)
    if why is not None:
        return BudgetQAError(damaged_line(db, why))
    return BudgetQAError(f"暂时无法读取索引目录数据库 {db}（{exc}）；请稍后再试，或运行 budgetqa doctor 检查")
