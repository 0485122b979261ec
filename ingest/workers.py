"""Worker processes: each file is read in a process of its own, bounded in memory (RLIMIT_AS), in time
and in the drawing and text commands of a page, so one crafted or broken file fails in one line instead
of taking the machine; workers never outlive the process that started them."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ingest.errors import DocumentError
from ingest.model import Report

OUT_OF_MEMORY = 3  # a worker's exit code when even its answer did not fit
Outcome = tuple[str, "Report | None", "DocumentError | None"]  # (path, report, error)
PageProgress = Callable[[str, int, int], None]  # (file name, page, pages)


def die_with_parent(parent: int | None = None) -> None:
    """A worker gets SIGKILL when the process that started it dies (even by kill -9), instead of
    living on as an orphan; one whose parent died while it was starting exits at once. Linux only;
    elsewhere the pool's own shutdown has to do."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Spawned, not forked: the caller may already run embedder and Chroma threads."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


@dataclass(frozen=True)
class ReadLimits:
    """Caps on reading one file (settings: BUDGETQA_MAX_READ_MB, BUDGETQA_MAX_READ_SECONDS). A page's
    drawing and text commands are capped at a share of the memory: read, a byte of them costs up to
    about a kilobyte (each glyph becomes an object with its box and font), so 3 GB allow 2 MB a page.
    The real reports seen hold at most 0.74 MB a page (median 0.05 MB, 73 PDFs)."""

    memory_mb: int = 3072
    seconds: int = 600

    @property
    def page_mb(self) -> int:
        return max(1, self.memory_mb // 1536)

    def memory_line(self) -> str:
        return (
            f"读取这个文件所需的内存超过上限 {self.memory_mb} MB（设置 BUDGETQA_MAX_READ_MB），已停止读取；"
            "若确是正常的报告，请调高 BUDGETQA_MAX_READ_MB"
        )

    def time_line(self) -> str:
        return (
            f"读取这个文件超过时间上限 {self.seconds} 秒（设置 BUDGETQA_MAX_READ_SECONDS），已停止读取；"
            "若确是正常的报告，请调高 BUDGETQA_MAX_READ_SECONDS"
        )

    def page_line(self, page: int, mb: float) -> str:
        return (
            f"第 {page} 页的绘图和文字指令有 {mb:.0f} MB 以上，超过每页上限 {self.page_mb} MB（BUDGETQA_MAX_READ_MB 的"
            " 1/1536），已停止读取：正常报告的一页不到 1 MB；若确是正常的报告，请调高 BUDGETQA_MAX_READ_MB"
        )


def limits_of(settings: Any) -> ReadLimits:  # noqa: ANN401 - a Settings (not imported: workers import little)
    return ReadLimits(settings.max_read_mb, settings.max_read_seconds)


# --- the volume of a page, measured without reading it ---------------------------------------------
def _stream_size(stream: Any, cap: int) -> int:  # noqa: ANN401 - a pdfminer PDFStream
    """Bytes a content stream holds once decompressed, counted in pieces and stopped past `cap` (a few
    hundred KB of deflate can hold gigabytes)."""
    from pdfminer.psparser import LIT

    filters = stream.get_filters() if hasattr(stream, "get_filters") else []
    raw = stream.rawdata if stream.rawdata is not None else (stream.data or b"")
    names = [f for f, _ in filters] if filters and isinstance(filters[0], tuple) else list(filters)
    if not names:
        return len(raw)
    if len(names) == 1 and names[0] in (LIT("FlateDecode"), LIT("Fl")):
        d = zlib.decompressobj()
        total, data = 0, raw
        try:
            while data and total <= cap:
                total += len(d.decompress(data, 1 << 20))
                data = d.unconsumed_tail
        except zlib.error:
            return total  # damaged: the reader says so with the page
        return total
    return len(raw)  # other filters: their input size stands in


def check_volume(path: Path, limits: ReadLimits) -> None:
    """Refuse a PDF any of whose pages holds more drawing and text commands than limits.page_mb (its
    content streams and the form XObjects it draws, decompressed)."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFStream, resolve1

    cap = limits.page_mb << 20
    try:
        with path.open("rb") as f:
            doc = PDFDocument(PDFParser(f))
            for i, page in enumerate(PDFPage.create_pages(doc), start=1):
                total = 0
                streams = list(page.contents or [])
                xobjects = resolve1((page.resources or {}).get("XObject")) or {}
                if isinstance(xobjects, dict):
                    streams += [x for x in (resolve1(v) for v in xobjects.values()) if _is_form(x)]
                for s in streams:
                    s = resolve1(s)
                    if isinstance(s, PDFStream):
                        total += _stream_size(s, cap - total)
                    if total > cap:
                        raise DocumentError(str(path), limits.page_line(i, total / 1048576))
    except DocumentError:
        raise
    except Exception:  # noqa: BLE001 - a file pdfminer can't walk: the reader tells what is wrong
        return


def _is_form(x: Any) -> bool:  # noqa: ANN401
    from pdfminer.pdftypes import PDFStream
    from pdfminer.psparser import LIT

    return isinstance(x, PDFStream) and x.attrs.get("Subtype") == LIT("Form")


# --- reading in a bounded process -----------------------------------------------------------------
_context: Any = None


def _forkserver() -> Any:  # noqa: ANN401
    """Workers forked from a server that has the readers imported already: a file starts reading in
    milliseconds, in a fresh process whose memory is its own (and capped), whatever threads this
    process runs."""
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["ingest.parse", "ingest.pdf", "pdfplumber", "ingest.workers"])
        _context = ctx
    return _context


def _child(conn: Connection, path: str, limits: ReadLimits) -> None:
    import resource

    from ingest.parse import parse_file

    die_with_parent()
    cap = limits.memory_mb << 20
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ValueError, OSError):
        pass  # a lower hard limit is already set: that one holds
    message: tuple[str, Any]
    try:
        if path.lower().endswith(".pdf"):
            check_volume(Path(path), limits)
        message = ("done", parse_file(Path(path), lambda i, n: conn.send(("page", i, n))))
    except DocumentError as exc:  # a reader may have put a MemoryError down to a damaged file
        message = ("memory", None) if _near_cap(cap) else ("error", exc.reason)
    except MemoryError:
        message = ("memory", None)
    except Exception as exc:  # noqa: BLE001 - one broken file must not stop the batch
        message = ("error", f"无法读取（{type(exc).__name__}：{exc}）；请检查文件是否完整")
    # the exception and what its frames held are gone here: there is memory to answer with
    gc.collect()
    try:
        conn.send(message)
    except MemoryError:
        os._exit(OUT_OF_MEMORY)
    conn.close()


def _near_cap(cap: int) -> bool:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 > 0.6 * cap


@dataclass
class _Job:
    index: int
    path: str
    proc: Any
    conn: Connection
    deadline: float


def read_files(
    paths: list[str], limits: ReadLimits, workers: int = 2, on_page: PageProgress | None = None
) -> Iterator[Outcome]:
    """Each file read in a bounded worker (up to `workers` at once), outcomes in the order given."""
    ctx = _forkserver()
    done: dict[int, Outcome] = {}
    running: list[_Job] = []
    queue = list(enumerate(paths))
    next_out = 0
    try:
        while next_out < len(paths):
            while queue and len(running) < max(1, workers):
                i, path = queue.pop(0)
                parent, child = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(child, path, limits))  # not daemonic: OCR starts workers
                proc.start()
                child.close()
                running.append(_Job(i, path, proc, parent, time.monotonic() + limits.seconds))
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            if not running:
                continue
            timeout = max(0.0, min(j.deadline for j in running) - time.monotonic())
            ready = wait([j.conn for j in running], timeout=timeout)
            for job in list(running):
                outcome = _step(job, job.conn in ready, limits, on_page)
                if outcome is not None:
                    running.remove(job)
                    done[job.index] = outcome
    finally:
        for job in running:  # the caller stopped early (an error, Ctrl-C): no worker lives on
            job.proc.kill()
            job.proc.join()
            job.conn.close()


def _step(job: _Job, ready: bool, limits: ReadLimits, on_page: PageProgress | None) -> Outcome | None:
    """Messages of a running job; its outcome once it has one."""
    if not ready:
        if time.monotonic() < job.deadline:
            return None
        return _end(job, DocumentError(job.path, limits.time_line()))
    try:
        kind, *rest = job.conn.recv()
    except (EOFError, OSError):  # it died without a word: killed (the kernel's OOM killer) or crashed
        job.proc.join(5)
        code = job.proc.exitcode
        memory = (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT, OUT_OF_MEMORY)
        why = limits.memory_line() if code in memory else None
        return _end(
            job, DocumentError(job.path, why or f"读取这个文件的进程意外退出（退出码 {code}）；请检查文件是否完整")
        )
    if kind == "page":
        if on_page:
            on_page(Path(job.path).name, *rest)
        return None
    if kind == "done":
        return _end(job, None, rest[0])
    if kind == "memory":
        return _end(job, DocumentError(job.path, limits.memory_line()))
    return _end(job, DocumentError(job.path, str(rest[0])))


def _end(job: _Job, error: DocumentError | None, report: Report | None = None) -> Outcome:
    if job.proc.is_alive():
        job.proc.kill()
    job.proc.join()
    job.conn.close()
    return job.path, report, error
