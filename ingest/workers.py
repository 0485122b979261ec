"""Worker processes that never outlive the process that started them."""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor


def die_with_parent(parent: int) -> None:
    """A worker gets SIGKILL when the process that started it dies (even by kill -9), instead of
    living on as an orphan; one whose parent died while it was starting exits at once. Linux only;
    elsewhere the pool's own shutdown has to do."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Spawned, not forked: the caller may already run embedder and Chroma threads."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )
