"""One settings object, read from the environment at the edges (CLI, web app, tests)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.errors import BadInputError


@dataclass(frozen=True)
class Settings:
    home: Path = Path(".budgetqa")
    embedder: str = "use-m3"  # e5-small | use-m3 | st:<name or path> | openai:<model>
    embed_url: str = ""  # openai:<model> embeddings endpoint (BUDGETQA_EMBED_URL)
    embed_batch: int = 16  # texts per embedder call (BUDGETQA_EMBED_BATCH)
    embed_threads: int = 0  # e5-small engine threads; 0 = up to 4 cores (BUDGETQA_EMBED_THREADS)
    embed_max_chars: int = 0  # e5-small reads at most this much of a passage; 0 = all (BUDGETQA_EMBED_MAX_CHARS)
    chroma_url: str = ""  # set → talk to a Chroma server instead of the local PersistentClient
    openai_base_url: str = ""  # for openai: embeddings
    openai_api_key: str = ""
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    llm_gguf: str = ""  # path to a local GGUF model (extra [local]); wins over the endpoint
    top_k: int = 5
    max_upload_mb: int = 50
    max_file_mb: int = 100  # every input of `ingest` (BUDGETQA_MAX_FILE_MB)
    max_read_mb: int = 3072  # memory of the process reading one file (BUDGETQA_MAX_READ_MB)
    max_read_seconds: int = 600  # time to read one file (BUDGETQA_MAX_READ_SECONDS)
    lock_wait: int = 120  # seconds an ingest waits for another one to finish (BUDGETQA_LOCK_WAIT)
    pages_cache_mb: int = 200  # rendered page images kept under pages/ (BUDGETQA_PAGES_CACHE_MB)
    upload_cache_mb: int = 500  # the web app's copies of uploads and downloads (BUDGETQA_UPLOAD_CACHE_MB)
    allowed_hosts: str = ""  # more names `serve` answers to, comma-separated (BUDGETQA_ALLOWED_HOSTS)
    auth: str = ""  # web app users: "user:password,user2:password2" (BUDGETQA_AUTH)

    @property
    def db_path(self) -> Path:
        return self.home / "catalog.sqlite"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def bm25_path(self) -> Path:
        return self.home / "bm25.npz"

    @property
    def dense_path(self) -> Path:
        return self.home / "dense.npz"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def sessions_dir(self) -> Path:
        return self.home / "sessions"

    @property
    def pages_dir(self) -> Path:
        return self.home / "pages"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model) or bool(self.llm_gguf)

    def with_(self, **kw: object) -> Settings:
        return replace(self, **kw)  # type: ignore[arg-type]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInputError(f"{name}={raw!r} is not a whole number; set it to e.g. {default}") from None
    if value <= 0:
        raise BadInputError(f"{name}={raw!r} must be positive; set it to e.g. {default}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    g = lambda name, default="": env.get("BUDGETQA_" + name, default)  # noqa: E731
    try:
        timeout = float(g("LLM_TIMEOUT", "60"))
    except ValueError:
        raise BadInputError(
            f"BUDGETQA_LLM_TIMEOUT={g('LLM_TIMEOUT')!r} is not a number of seconds; set it to e.g. 60"
        ) from None
    return Settings(
        home=Path(g("HOME", ".budgetqa")),
        embedder=g("EMBEDDER", "use-m3"),
        embed_url=g("EMBED_URL", g("OPENAI_BASE_URL", g("LLM_BASE_URL"))),
        embed_batch=_int(env, "BUDGETQA_EMBED_BATCH", 16),
        embed_threads=_int(env, "BUDGETQA_EMBED_THREADS", 1) if g("EMBED_THREADS") not in ("", "0") else 0,
        embed_max_chars=_int(env, "BUDGETQA_EMBED_MAX_CHARS", 1) if g("EMBED_MAX_CHARS") not in ("", "0") else 0,
        chroma_url=g("CHROMA_URL"),
        openai_base_url=g("OPENAI_BASE_URL", g("LLM_BASE_URL")),
        openai_api_key=g("OPENAI_API_KEY", g("LLM_API_KEY")),
        llm_base_url=g("LLM_BASE_URL"),
        llm_model=g("LLM_MODEL"),
        llm_api_key=g("LLM_API_KEY"),
        llm_timeout=timeout,
        llm_gguf=g("LLM_GGUF"),
        top_k=_int(env, "BUDGETQA_TOP_K", 5),
        max_upload_mb=_int(env, "BUDGETQA_MAX_UPLOAD_MB", 50),
        max_file_mb=_int(env, "BUDGETQA_MAX_FILE_MB", 100),
        max_read_mb=_int(env, "BUDGETQA_MAX_READ_MB", 3072),
        max_read_seconds=_int(env, "BUDGETQA_MAX_READ_SECONDS", 600),
        lock_wait=_int(env, "BUDGETQA_LOCK_WAIT", 120),
        pages_cache_mb=_int(env, "BUDGETQA_PAGES_CACHE_MB", 200),
        upload_cache_mb=_int(env, "BUDGETQA_UPLOAD_CACHE_MB", 500),
        allowed_hosts=g("ALLOWED_HOSTS"),
        auth=g("AUTH"),
    )
