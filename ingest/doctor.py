"""`budgetqa doctor`: is the home whole? The catalog is the truth; the vector store, the vectors, the BM25
index, the vector snapshot and the embedder's cache are checked against it and, with repair, rebuilt from
it (under the writer lock: never while an ingest writes)."""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ingest.datafile import old_pickles
from ingest.errors import BudgetQAError
from ingest.lock import writing
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
    if not repair:
        return _examine(store, False)
    with writing(store.settings.home, store.settings.lock_wait):
        return _examine(store, True)


def _examine(store: Store, repair: bool) -> list[Check]:
    catalog, settings = store.catalog, store.settings
    out: list[Check] = []
    verdict = catalog.db.execute("PRAGMA quick_check").fetchone()[0]
    out.append(Check("目录数据库", verdict == "ok", "完好" if verdict == "ok" else f"完整性检查未通过（{verdict}）"))
    reports = catalog.reports()
    chunk_ids = catalog.all_chunk_ids()
    out.append(Check("报告", True, f"{len(reports)} 份报告，{len(chunk_ids)} 段文字"))
    out.append(embedder_cache(settings.home / "cache", repair))
    old = [p.name for p in old_pickles(settings.home) if p.parent == settings.home]  # repair's lock removed them
    out.append(
        Check(
            "旧版本文件",
            not old,
            f"{'、'.join(old)}：旧版本的 pickle 文件，从不读取；下次导入或 doctor --repair 时删除" if old else "无",
        )
    )

    store_check = vector_store(store, repair)
    out.append(store_check)
    if store_check.ok or store_check.repaired:
        out += _vectors(store, chunk_ids, repair)
    gen = catalog.generation()
    sparse = SparseIndex.load(settings.bm25_path)
    fresh = sparse is not None and sparse.generation == gen
    if repair and not fresh:
        store.refresh_sparse(from_scratch=True)
    out.append(Check("关键词索引", fresh, "最新" if fresh else "过期、缺失或已损坏", repair and not fresh))
    if not settings.chroma_url:
        snap = store.dense()
        current = snap is not None and snap.current(gen, snap.collection) and set(snap.ids) == chunk_ids
        if repair and not current and (store_check.ok or store_check.repaired):
            store.refresh_dense(from_scratch=True)
        out.append(Check("向量快照", current, "最新" if current else "过期、缺失或已损坏", repair and not current))
    out.append(_sources(reports))
    return out


def embedder_cache(cache: Path, repair: bool) -> Check:
    """The embedder's cached weights (.npz) and tokenizer (.json): each must read whole (a truncated
    weights file fails every `ask`). A damaged file is deleted by repair; the embedder makes it again."""
    bad: list[Path] = []
    for path in sorted(cache.glob("*")) if cache.is_dir() else []:
        if path.suffix == ".npz":
            try:
                with zipfile.ZipFile(path) as z:
                    if z.testzip() is not None:
                        bad.append(path)
            except (OSError, zipfile.BadZipFile, EOFError):
                bad.append(path)
        elif path.suffix == ".json":
            try:
                json.loads(path.read_bytes())
            except (OSError, ValueError):
                bad.append(path)
        elif path.name.endswith((".tmp", ".tmp.npz")) or path.suffix == ".pkl":
            bad.append(path)  # left by a failed write, or an old pickle that is never read again
    if not bad:
        return Check("向量模型缓存", True, "完好" if cache.is_dir() else "尚未建立")
    names = "、".join(p.name for p in bad[:3])
    if repair:
        for p in bad:
            p.unlink(missing_ok=True)
    return Check("向量模型缓存", False, f"{len(bad)} 个文件已损坏或残留（{names}）；删除后下次使用时重建", repair)


def vector_store(store: Store, repair: bool) -> Check:
    """Can the vector store be opened and counted? A damaged local store is moved aside by repair and
    rebuilt from the catalog (every chunk embedded again)."""
    try:
        n = store.vectors.col.count()
    except (BudgetQAError, Exception) as exc:  # noqa: BLE001 - chromadb raises many kinds
        detail = f"无法打开（{type(exc).__name__}：{str(exc)[:120]}）"
        if not store.catalog.writable and store.dense() is not None:  # a read-only home asks the snapshot
            return Check("向量库", True, "家目录只读，未能打开向量库；问答使用最新的向量快照，不受影响")
        path = store.settings.chroma_path
        if not repair or store.settings.chroma_url or not path.exists():
            return Check(
                "向量库", False, detail + ("；运行 budgetqa doctor --repair 从目录数据库重建" if not repair else "")
            )
        aside = path.with_name(f"chroma.damaged-{int(time.time())}")
        shutil.move(str(path), str(aside))
        store.reset_vectors()
        return Check("向量库", False, f"{detail}；已移到 {aside.name} 并从目录数据库重建", True)
    return Check("向量库", True, f"{n} 个向量")


def _vectors(store: Store, chunk_ids: set[str], repair: bool) -> list[Check]:
    vector_ids = set(store.vectors.all_ids())
    orphans, missing = vector_ids - chunk_ids, chunk_ids - vector_ids
    if repair and orphans:
        store.vectors.delete(sorted(orphans))
    out = [Check("多余向量", not orphans, f"{len(orphans)} 个向量没有对应的段落", repair and bool(orphans))]
    if repair and missing:
        chunks = store.catalog.chunks(sorted(missing))
        store.embed_and_add(list(chunks.values()))
    out.append(Check("缺失向量", not missing, f"{len(missing)} 段文字没有向量", repair and bool(missing)))
    return out


def _sources(reports: list[dict]) -> Check:
    gone, changed = [], []
    for r in reports:
        path = Path(r["path"] or "")
        if not path.is_file():
            gone.append(r["doc_id"])
        elif sha256_file(path) != r["sha256"]:
            changed.append(r["doc_id"])
    detail = f"{len(gone)} 个已不在，{len(changed)} 个读入后改动过"
    if gone or changed:
        listed = "、".join((gone + changed)[:5]) + (" …" if len(gone) + len(changed) > 5 else "")
        detail += f"（{listed}）；请运行 budgetqa ingest 重新读入"
    return Check("原文件", not gone and not changed, detail)
