"""`budgetqa doctor`: is the home whole? The catalog is the truth; the vectors, the BM25 index and the
vector snapshot are checked against it and, with repair, brought back in line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.parse import sha256_file
from ingest.pipeline import Store
from ingest.snapshots import SparseIndex


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    repaired: bool = False


def examine(store: Store, repair: bool = False) -> list[Check]:
    catalog, settings = store.catalog, store.settings
    out: list[Check] = []
    verdict = catalog.db.execute("PRAGMA quick_check").fetchone()[0]
    out.append(Check("catalog", verdict == "ok", f"SQLite quick_check: {verdict}"))
    reports = catalog.reports()
    chunk_ids = catalog.all_chunk_ids()
    out.append(Check("reports", True, f"{len(reports)} reports, {len(chunk_ids)} chunks"))

    vector_ids = set(store.vectors.all_ids())
    orphans, missing = vector_ids - chunk_ids, chunk_ids - vector_ids
    fixed = False
    if repair and orphans:
        store.vectors.delete(sorted(orphans))
        fixed = True
    out.append(
        Check("orphan vectors", not orphans, f"{len(orphans)} vectors of no catalog chunk", fixed and bool(orphans))
    )
    fixed = False
    if repair and missing:
        chunks = catalog.chunks(sorted(missing))
        store.embed_and_add(list(chunks.values()))
        fixed = True
    out.append(
        Check(
            "missing vectors", not missing, f"{len(missing)} catalog chunks without a vector", fixed and bool(missing)
        )
    )

    gen = catalog.generation()
    sparse = SparseIndex.load(settings.bm25_path)
    fresh = sparse is not None and sparse.generation == gen
    if repair and not fresh:
        store.refresh_sparse(from_scratch=True)
    out.append(Check("BM25 index", fresh, "current" if fresh else "stale or missing", repair and not fresh))
    if not settings.chroma_url:
        snap = store.dense()
        current = snap is not None and set(snap.ids) == chunk_ids
        if repair and (not current or orphans or missing):
            store.refresh_dense(from_scratch=True)
        out.append(
            Check("vector snapshot", current, "current" if current else "stale or missing", repair and not current)
        )

    gone, changed = [], []
    for r in reports:
        path = Path(r["path"] or "")
        if not path.is_file():
            gone.append(r["doc_id"])
        elif sha256_file(path) != r["sha256"]:
            changed.append(r["doc_id"])
    detail = f"{len(gone)} missing, {len(changed)} changed since ingest"
    if gone or changed:
        detail += (
            f" ({', '.join((gone + changed)[:5])}{' …' if len(gone) + len(changed) > 5 else ''}); run `budgetqa ingest`"
        )
    out.append(Check("source files", not gone and not changed, detail))
    return out
