"""The vector store (Chroma) and the tokens BM25 indexes (jieba words); the snapshots `ask` searches
are in ingest/snapshots.py.

Chroma is always given embeddings explicitly: its default embedding function downloads a model,
which fails offline.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import BackendError
from ingest.model import Chunk
from ingest.wordtable import SHORT, WordTable, ensure_table, jieba_module, open_table, posseg

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

_TOKEN_RE = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z]+|\d+(?:[.,]\d+)*%?")
_STOP = set("的 了 和 与 及 是 在 为 对 等 中 其 个 年 之 或 并 将 由 按 以 于 有 无 也 被 从 向 所 把 这 那".split())


_word_cache: Path | None = None
_table: WordTable | None = None
_TABLE_KEYS = 300_000  # a long-running server that has cut this many substrings loads the whole dictionary


def use_word_table(cache_dir: Path) -> None:
    """Cut short texts with the word table under cache_dir (ingest/wordtable.py) while jieba's whole
    dictionary is not loaded: what makes a cold `ask` quick. Same words, same tags."""
    global _word_cache
    _word_cache = cache_dir


def prepare_word_table(cache_dir: Path) -> None:
    """Build the word table under cache_dir now if it is missing (2–3 s), not in the next ask."""
    ensure_table(cache_dir)


def whole_dictionary() -> None:
    """Load jieba's whole dictionary (ingest cuts thousands of texts: one load is cheaper than lookups)."""
    jieba_module().initialize()


def _quick(text: str) -> WordTable | None:
    global _table, _word_cache
    if _word_cache is None or len(text) > SHORT or jieba_module().dt.initialized:
        return None
    if _table is None:
        _table = open_table(_word_cache)
        if _table is None:  # a home that can't hold the table: the whole dictionary, as before
            _word_cache = None
            return None
    if _table.size > _TABLE_KEYS:
        _table = _word_cache = None
        return None
    return _table


def words(text: str) -> list[str]:
    """jieba's words of a Chinese text, in order (precise mode: no overlapping sub-words)."""
    quick = _quick(text)
    return quick.lcut(text) if quick else jieba_module().lcut(text)


def tagged_words(text: str) -> list[tuple[str, str]]:
    """jieba's words with their part-of-speech flags (n noun, v verb, d adverb, u particle …)."""
    quick = _quick(text)
    if quick:
        return quick.tagged(text)
    pos = posseg().dt
    if not pos.word_tag_tab:  # imported by the word table with no tags read
        pos.initialize()
    return [(w.word, w.flag) for w in pos.lcut(text)]


def tokenize(text: str) -> list[str]:
    """jieba words for Chinese, lower-cased words for English, numbers with separators removed."""
    out: list[str] = []
    for piece in _TOKEN_RE.findall(text):
        if "\u4e00" <= piece[0] <= "\u9fff":
            quick = _quick(piece)
            cut = quick.lcut_for_search(piece) if quick else jieba_module().lcut_for_search(piece)
            out.extend(w for w in cut if w not in _STOP)
        elif piece[0].isdigit():
            out.append(piece.replace(",", ""))
        else:
            out.append(piece.lower())
    return out


class VectorStore:
    """A Chroma collection per embedder, local (PersistentClient) or remote (HttpClient)."""

    def __init__(self, path: Path, collection: str, url: str = "") -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if url:
                m = re.match(r"^(https?)://([^:/]+)(?::(\d+))?", url)
                if not m:
                    raise BackendError(f"BUDGETQA_CHROMA_URL={url!r} is not a URL like http://127.0.0.1:8000")
                self.client = chromadb.HttpClient(
                    host=m.group(2), port=int(m.group(3) or 8000), ssl=m.group(1) == "https", settings=chroma_settings
                )
            else:
                path.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            self.col = self.client.get_or_create_collection(
                collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        except BackendError:
            raise
        except Exception as exc:
            where = url or str(path)
            raise BackendError(f"cannot open the vector store at {where} ({type(exc).__name__}: {exc})") from None

    def existing(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 1000):
            found.update(self.col.get(ids=ids[i : i + 1000], include=[])["ids"])
        return found

    def upsert(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        for i in range(0, len(chunks), 1000):
            part = chunks[i : i + 1000]
            self.col.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[i : i + 1000].tolist(),
                metadatas=[
                    {"doc_id": c.doc_id, "year": c.year or 0, "report_kind": c.report_kind, "kind": c.kind}
                    for c in part
                ],
            )

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), 1000):
            if ids[i : i + 1000]:
                self.col.delete(ids=ids[i : i + 1000])

    def all_ids(self) -> list[str]:
        out: list[str] = []
        total = self.col.count()
        for offset in range(0, total, 5000):
            out += self.col.get(include=[], limit=5000, offset=offset)["ids"]
        return out

    def ids_for_doc(self, doc_id: str) -> list[str]:
        return self.col.get(where={"doc_id": doc_id}, include=[])["ids"]

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[tuple[str, float]]:
        count = self.col.count()
        if count == 0:
            return []
        res = self.col.query(
            query_embeddings=[vector.tolist()], n_results=min(n, count), where=where or None, include=["distances"]
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), 1000):
            got = self.col.get(ids=ids[i : i + 1000], include=["embeddings"])
            out.update(zip(got["ids"], (np.asarray(v, dtype=np.float32) for v in got["embeddings"]), strict=True))
        return out
