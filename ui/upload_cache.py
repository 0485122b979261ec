"""Gradio's upload cache in a folder of ours, bounded in size.

Gradio copies every uploaded file (and every file it serves for download) into GRADIO_TEMP_DIR, by
default /tmp/gradio, and keeps them: a server that takes uploads for weeks fills the disk. `serve` calls
bound_upload_cache before Gradio is imported: the cache goes under the home (web-cache/), or a
budgetqa folder in the temp directory when the home can't be written, or where the operator's own
GRADIO_TEMP_DIR says; a background thread keeps it under BUDGETQA_UPLOAD_CACHE_MB, least recently used
files first (ingest.datafile.trim_cache, the same rule as the rendered pages)."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from ingest.datafile import trim_cache
from ingest.settings import Settings

SWEEP_EVERY = 60.0  # seconds between two trims of the cache
KEEP_SECONDS = 300.0  # an upload younger than this stays: its handler may still be waiting in the queue

_sweeper: threading.Thread | None = None


def upload_cache_dir(settings: Settings) -> Path:
    """Where Gradio keeps uploads: the operator's GRADIO_TEMP_DIR, else web-cache/ in the home, else (a
    read-only home) a folder of this user's in the temp directory."""
    if os.environ.get("GRADIO_TEMP_DIR"):
        return Path(os.environ["GRADIO_TEMP_DIR"])
    home = settings.home
    if (home.is_dir() and os.access(home, os.W_OK)) or (not home.exists() and os.access(home.parent, os.W_OK)):
        return home / "web-cache"
    return Path(tempfile.gettempdir()) / f"budgetqa-web-cache-{os.getuid()}"


def sweep_upload_cache(folder: Path, settings: Settings) -> int:
    """One trim of the cache to its size; the bytes freed."""
    return trim_cache(folder, settings.upload_cache_mb << 20, keep_seconds=KEEP_SECONDS)


def bound_upload_cache(settings: Settings, every: float = SWEEP_EVERY) -> Path:
    """Point Gradio's cache at our folder (GRADIO_TEMP_DIR) and keep it bounded while the process runs.
    Call before Gradio builds the app; calling again only returns the folder."""
    global _sweeper
    folder = upload_cache_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    if _sweeper is None:

        def sweep() -> None:
            while True:
                sweep_upload_cache(folder, settings)
                time.sleep(every)

        _sweeper = threading.Thread(target=sweep, name="budgetqa-upload-cache", daemon=True)
        _sweeper.start()
    return folder
