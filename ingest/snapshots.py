"""What `ask` searches: the catalog's chunk vectors as one matrix (DenseSnapshot) and BM25 over the
catalog's token lists (SparseIndex). Both are derived from the catalog and brought up to date
incrementally: rows of chunks still in the catalog are kept, rows of chunks gone are dropped, and only
new chunks are read (their vectors from the vector store, their tokens from the catalog). The rows
always follow the catalog's order, so an updated index equals one built from scratch; updating one
report in an index of a thousand costs a fraction of a second instead of a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.datafile import BadFile, load_arrays, save_arrays, string_fields, strings_from, strings_of

if TYPE_CHECKING:
    from scipy import sparse as sp


def _sp() -> Any:  # noqa: ANN401
    """scipy.sparse, imported when the index is built or changed: a query reads the stored columns with
    numpy alone (importing scipy is 0.2 s of a cold ask)."""
    from scipy import sparse

    return sparse


ChunkRow = tuple[str, str, "int | None", str]  # (chunk_id, doc_id, year, report_kind), as the catalog lists them
K1, B = 1.2, 0.75  # BM25 (Lucene's variant: idf = ln(1 + (N − df + ½)/(df + ½)), tf/(tf + k1·(1 − b + b·len/avg)))


@dataclass(frozen=True)
class RowMeta:
    """Each row's report, year and kind as integer codes, so a filter is one vectorised comparison
    rather than a Python loop over every row of the index."""

    docs: tuple[str, ...]
    kinds: tuple[str, ...]
    doc: np.ndarray  # int32 index into docs
    year: np.ndarray  # int32, 0 when unknown
    kind: np.ndarray  # int16 index into kinds

    @staticmethod
    def of(rows: Sequence[tuple[str, int | None, str]]) -> RowMeta:
        docs: dict[str, int] = {}
        kinds: dict[str, int] = {}
        doc = np.fromiter((docs.setdefault(d, len(docs)) for d, _, _ in rows), dtype=np.int32, count=len(rows))
        year = np.fromiter((y or 0 for _, y, _ in rows), dtype=np.int32, count=len(rows))
        kind = np.fromiter((kinds.setdefault(k, len(kinds)) for _, _, k in rows), dtype=np.int16, count=len(rows))
        return RowMeta(tuple(docs), tuple(kinds), doc, year, kind)

    def __len__(self) -> int:
        return len(self.doc)

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            **strings_of("meta_docs", self.docs),
            **strings_of("meta_kinds", self.kinds),
            "meta_doc": self.doc,
            "meta_year": self.year,
            "meta_kind": self.kind,
        }

    FIELDS = {
        **string_fields("meta_docs", "meta_kinds"),
        "meta_doc": ("i4", 1),
        "meta_year": ("i4", 1),
        "meta_kind": ("i2", 1),
    }

    @staticmethod
    def from_arrays(a: dict[str, np.ndarray], rows: int) -> RowMeta:
        """Checked: one code per row, each code naming a report or kind the file lists."""
        meta = RowMeta(
            tuple(strings_from("meta_docs", a)),
            tuple(strings_from("meta_kinds", a)),
            a["meta_doc"],
            a["meta_year"],
            a["meta_kind"],
        )
        if not len(meta.doc) == len(meta.year) == len(meta.kind) == rows:
            raise BadFile("row codes do not match the rows")
        for codes, names in ((meta.doc, meta.docs), (meta.kind, meta.kinds)):
            if len(codes) and (codes.min() < 0 or codes.max() >= len(names)):
                raise BadFile("a row code names nothing")
        return meta

    def doc_of(self, row: int) -> str:
        return self.docs[self.doc[row]]

    def mask(self, doc_ids: Sequence[str] = (), year: int | None = None, kind: str | None = None) -> np.ndarray | None:
        """Rows of the given reports, year and kind; None when nothing is filtered."""
        if not doc_ids and year is None and kind is None:
            return None
        keep = np.ones(len(self.doc), dtype=bool)
        if doc_ids:
            wanted = set(doc_ids)
            keep &= np.isin(self.doc, [i for i, d in enumerate(self.docs) if d in wanted])
        if year is not None:
            keep &= self.year == year
        if kind is not None:
            keep &= self.kind == (self.kinds.index(kind) if kind in self.kinds else -1)
        return keep


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n highest scores, best first (ties in row order, as a full sort would give)."""
    if len(scores) > n:
        part = np.argpartition(-scores, n - 1)[:n]
        cut = scores[part].min()
        part = np.flatnonzero(scores >= cut)  # ties at the cut keep row order
        return part[np.argsort(-scores[part], kind="stable")][:n]
    return np.argsort(-scores, kind="stable")[:n]


class DenseSnapshot:
    """The catalog's chunk vectors as one matrix, for the local store: an `ask` searches it exactly with
    numpy and need not load chromadb (a second of a cold start). Valid for one catalog generation;
    Chroma stays the store of record. Rows follow the catalog, so a vector no catalog chunk has is
    never found."""

    def __init__(self, ids: list[str], matrix: np.ndarray, meta: RowMeta, generation: int, collection: str) -> None:
        self.ids = ids
        self.matrix = matrix
        self.meta = meta
        self.generation = generation
        self.collection = collection  # the embedder's vectors: another embedder's snapshot is never used

    def current(self, generation: int, collection: str) -> bool:
        return self.generation == generation and self.collection == collection

    @staticmethod
    def refreshed(
        old: DenseSnapshot | None,
        rows: list[ChunkRow],
        fetch: Callable[[list[str]], dict[str, np.ndarray]],
        generation: int,
        collection: str,
    ) -> DenseSnapshot:
        """The snapshot for these catalog rows: old rows reused (when of the same embedder), vectors of
        new chunks fetched. A chunk the vector store lacks is left out (doctor reports it)."""
        if old is not None and old.collection != collection:
            old = None
        at = {cid: i for i, cid in enumerate(old.ids)} if old is not None else {}
        wanted = [cid for cid, *_ in rows if cid not in at]
        got: dict[str, np.ndarray] = {}
        for part in _batches(wanted):  # a long report's vectors are read a batch at a time
            got.update(fetch(part))
        rows = [r for r in rows if r[0] in at or r[0] in got]
        dim = old.matrix.shape[1] if old is not None and old.ids else len(next(iter(got.values()), ()))
        matrix = np.empty((len(rows), dim), dtype=np.float32)
        reused = [(i, at[r[0]]) for i, r in enumerate(rows) if r[0] in at]
        if reused and old is not None:
            to, src = np.array(reused, dtype=np.int64).T
            matrix[to] = old.matrix[src]
        for i, r in enumerate(rows):
            if r[0] not in at:
                matrix[i] = got.pop(r[0])
        meta = RowMeta.of([(d, y, k) for _, d, y, k in rows])
        return DenseSnapshot([r[0] for r in rows], matrix, meta, generation, collection)

    def within(self, rows: list[ChunkRow], collection: str) -> DenseSnapshot | None:
        """The rows of these catalog chunks that this snapshot holds, in the catalog's order (for a
        reader while an ingest writes); None for another embedder's snapshot. Keeps its generation."""
        if collection != self.collection:
            return None
        at = {cid: i for i, cid in enumerate(self.ids)}
        kept = [r for r in rows if r[0] in at]
        src = np.fromiter((at[r[0]] for r in kept), dtype=np.int64, count=len(kept))
        meta = RowMeta.of([(d, y, k) for _, d, y, k in kept])
        return DenseSnapshot([r[0] for r in kept], self.matrix[src], meta, self.generation, self.collection)

    def query(
        self,
        vector: np.ndarray,
        n: int,
        doc_ids: tuple[str, ...] = (),
        year: int | None = None,
        kind: str | None = None,
    ) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        scores = self.matrix @ vector.astype(np.float32)  # unit vectors: cosine similarity
        keep = self.meta.mask(doc_ids, year, kind)
        if keep is not None:
            scores = np.where(keep, scores, -np.inf)
        return [(self.ids[i], float(scores[i])) for i in top_rows(scores, n) if np.isfinite(scores[i])]

    def save(self, path: Path) -> None:
        save_arrays(
            path,
            {
                **strings_of("ids", self.ids),
                **strings_of("collection", [self.collection]),
                "matrix": np.ascontiguousarray(self.matrix, dtype=np.float32),
                "generation": np.array(self.generation, dtype=np.int64),
                **self.meta.arrays(),
            },
        )

    @staticmethod
    def load(path: Path) -> DenseSnapshot | None:
        """The snapshot in `path`, or None when it is missing or fails the checks (version, dtypes, one
        vector and one row code per id, finite values): the caller rebuilds it from the vector store."""
        fields = {**string_fields("ids", "collection"), "matrix": ("f4", 2), "generation": ("i8", 0), **RowMeta.FIELDS}
        a = load_arrays(path, fields)
        if a is None:
            return None
        try:
            ids, (collection,) = strings_from("ids", a), strings_from("collection", a)
            matrix = a["matrix"]
            if matrix.shape[0] != len(ids) or (len(ids) and not np.isfinite(matrix).all()):
                raise BadFile("vectors do not match the ids")
            meta = RowMeta.from_arrays(a, len(ids))
        except (BadFile, ValueError):
            return None
        return DenseSnapshot(ids, matrix, meta, int(a["generation"]), collection)


class SparseIndex:
    """BM25 over the catalog's token lists: a row per list (a chunk has one; a table chunk one more per
    row), term counts kept as a sparse matrix so rows can be dropped and added without re-reading the
    rest, and BM25 weights derived from the counts after every change (the corpus statistics move)."""

    def __init__(self, ids: list[str], counts: sp.csr_matrix, vocab: dict[str, int], meta: RowMeta, generation: int):
        self.ids = ids  # chunk id of each row
        self.vocab = vocab  # grows only; a term of no row left weighs nothing
        self.meta = meta
        self.generation = generation
        self._counts: sp.csr_matrix | None = counts  # rows × vocabulary, term frequencies
        self._count_arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        w = _bm25_weights(counts)  # rows × vocabulary, CSC: a query reads its terms' columns
        self._columns = (w.data, w.indices, w.indptr)

    @property
    def counts(self) -> sp.csr_matrix:
        if self._counts is None:
            assert self._count_arrays is not None
            self._counts = _sp().csr_matrix(self._count_arrays, shape=(len(self.ids), len(self.vocab)))
        return self._counts

    @staticmethod
    def refreshed(
        old: SparseIndex | None,
        rows: list[ChunkRow],
        load_tokens: Callable[[list[str]], dict[str, list[list[str]]]],
        generation: int,
    ) -> SparseIndex:
        """The index for these catalog rows: rows of chunks kept are reused, tokens of new chunks are
        loaded and counted."""
        vocab = dict(old.vocab) if old is not None else {}
        spans: dict[str, tuple[int, int]] = {}
        if old is not None:
            for i, cid in enumerate(old.ids):  # a chunk's rows are contiguous
                first, _ = spans.get(cid, (i, i))
                spans[cid] = (first, i + 1)
        # tokens of new chunks are read and counted a batch at a time: as lists of strings, a long
        # report's tokens would take several times its size in memory
        new_spans: dict[str, tuple[int, int]] = {}
        sp = _sp()
        counted: list[sp.csr_matrix] = []
        n_new = 0
        for part in _batches([cid for cid, *_ in rows if cid not in spans]):
            lists = load_tokens(part)
            units = [u for cid in part if cid in lists for u in lists[cid]]
            for cid in part:
                if cid in lists:
                    new_spans[cid] = (n_new, n_new + len(lists[cid]))
                    n_new += len(lists[cid])
            counted.append(_count(units, vocab))
        pieces: list[tuple[str, int, int]] = []  # rows of the old counts, or of the new ones
        ids: list[str] = []
        meta: list[tuple[str, int | None, str]] = []
        for cid, doc, year, kind in rows:
            src, (a, b) = ("old", spans[cid]) if cid in spans else ("new", new_spans.get(cid, (0, 0)))
            if b > a:
                pieces.append((src, a, b))
                ids += [cid] * (b - a)
                meta += [(doc, year, kind)] * (b - a)
        new_counts = sp.vstack([_widened(m, len(vocab)) for m in counted], format="csr") if counted else None
        stacked = ((old.counts,) if old is not None else ()) + ((new_counts,) if new_counts is not None else ())
        parts = [_widened(m, len(vocab)) for m in stacked] or [sp.csr_matrix((0, len(vocab)), dtype=np.float32)]
        after_old = old.counts.shape[0] if old is not None else 0  # new rows follow the old ones when stacked
        order = [np.arange(a, b) + (0 if src == "old" else after_old) for src, a, b in pieces]
        counts = sp.vstack(parts, format="csr")[np.concatenate(order) if order else np.zeros(0, dtype=np.int64)]
        return SparseIndex(ids, counts.tocsr(), vocab, RowMeta.of(meta), generation)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        known = [self.vocab[t] for t in dict.fromkeys(query_tokens) if t in self.vocab]
        out = np.zeros(len(self.ids), dtype=np.float32)
        data, rows, starts = self._columns
        for j in known:  # a column holds each row once: its weights add without collisions
            out[rows[starts[j] : starts[j + 1]]] += data[starts[j] : starts[j + 1]]
        return out

    def save(self, path: Path) -> None:
        c = self.counts.tocsr()
        w_data, w_indices, w_indptr = self._columns
        save_arrays(
            path,
            {
                **strings_of("ids", self.ids),
                **strings_of("vocab", list(self.vocab)),  # in index order: a dict keeps insertion order
                "counts_data": c.data.astype(np.float32),
                "counts_indices": c.indices.astype(np.int32),
                "counts_indptr": c.indptr.astype(np.int64),
                "weights_data": w_data.astype(np.float32),
                "weights_indices": w_indices.astype(np.int32),
                "weights_indptr": w_indptr.astype(np.int64),
                "generation": np.array(self.generation, dtype=np.int64),
                **self.meta.arrays(),
            },
        )

    @staticmethod
    def load(path: Path) -> SparseIndex | None:
        """The index in `path`, or None when it is missing or fails the checks (version, dtypes, the
        sparse matrices' shapes against the ids and the vocabulary): the caller rebuilds it."""
        fields = {
            **string_fields("ids", "vocab"),
            **{
                f"{m}_{k}": (d, 1)
                for m in ("counts", "weights")
                for k, d in (("data", "f4"), ("indices", "i4"), ("indptr", "i8"))
            },
            "generation": ("i8", 0),
            **RowMeta.FIELDS,
        }
        a = load_arrays(path, fields)
        if a is None:
            return None
        try:
            ids, terms = strings_from("ids", a), strings_from("vocab", a)
            vocab = {t: i for i, t in enumerate(terms)}
            if len(vocab) != len(terms):
                raise BadFile("a term twice in the vocabulary")
            counts = _checked(a, "counts", major=len(ids), minor=len(terms))
            columns = _checked(a, "weights", major=len(terms), minor=len(ids))
            meta = RowMeta.from_arrays(a, len(ids))
        except (BadFile, ValueError):
            return None
        index = SparseIndex.__new__(SparseIndex)  # the weights are read, not computed again
        index.ids, index.vocab, index.meta, index.generation = ids, vocab, meta, int(a["generation"])
        index._counts, index._count_arrays, index._columns = None, counts, columns
        return index


def _checked(a: dict[str, np.ndarray], name: str, major: int, minor: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CSR or CSC matrix's stored arrays (data, indices, indptr), refused unless they describe a matrix
    of `major` rows (CSR) or columns (CSC) whose indices stay under `minor`."""
    data, indices, indptr = a[f"{name}_data"], a[f"{name}_indices"], a[f"{name}_indptr"]
    if len(indptr) != major + 1 or indptr[0] != 0 or indptr[-1] != len(data) or len(indices) != len(data):
        raise BadFile(f"{name}: the sparse matrix does not match its shape")
    if np.any(np.diff(indptr) < 0) or (len(indices) and (indices.min() < 0 or indices.max() >= minor)):
        raise BadFile(f"{name}: an index out of range")
    if len(data) and not np.isfinite(data).all():
        raise BadFile(f"{name}: a value that is not a number")
    return data, indices, indptr


def _batches(items: list[str], size: int = 2000) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _count(token_rows: list[list[str]], vocab: dict[str, int]) -> sp.csr_matrix:
    """Term-frequency rows; new terms are added to vocab."""
    sp = _sp()
    indptr, indices, data = [0], [], []
    for tokens in token_rows:
        tf: dict[int, int] = {}
        for t in tokens:
            j = vocab.setdefault(t, len(vocab))
            tf[j] = tf.get(j, 0) + 1
        indices += tf.keys()
        data += tf.values()
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
        shape=(len(token_rows), len(vocab)),
    )


def _widened(m: sp.csr_matrix, width: int) -> sp.csr_matrix:
    sp = _sp()
    return sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], width))


def _bm25_weights(counts: sp.csr_matrix) -> sp.csc_matrix:
    sp = _sp()
    n = counts.shape[0]
    if n == 0:
        return sp.csc_matrix(counts.shape, dtype=np.float32)
    lengths = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    avg = lengths.mean() or 1.0
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    row_of = np.repeat(np.arange(n), np.diff(counts.indptr))
    tf = counts.data.astype(np.float64)
    w = idf[counts.indices] * tf / (tf + K1 * (1 - B + B * lengths[row_of] / avg))
    return sp.csr_matrix((w.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape).tocsc()
