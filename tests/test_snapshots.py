"""The indexes `ask` searches are updated in place: an updated index equals one built from scratch, BM25
scores are the textbook (Lucene) ones, filters pick the same rows as a plain loop, and a snapshot of
another embedder is never searched."""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal
from pathlib import Path

import numpy as np

from ingest.index import tokenize
from ingest.pipeline import Store
from ingest.settings import Settings
from ingest.snapshots import DenseSnapshot, RowMeta, SparseIndex, top_rows

QUERIES = ["一般公共预算财政拨款支出是多少", "三公经费 公务接待费 减少 原因", "政府性基金预算财政拨款收入为什么增加"]


def bm25_by_hand(docs: list[list[str]], query: list[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    n, avg = len(docs), sum(len(d) for d in docs) / len(docs)
    df = Counter(t for d in docs for t in set(d))
    out = []
    for d in docs:
        tf = Counter(d)
        out.append(
            sum(
                math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * tf[t] / (tf[t] + k1 * (1 - b + b * len(d) / avg))
                for t in dict.fromkeys(query)
                if t in tf
            )
        )
    return out


def test_bm25_scores_are_the_lucene_formula(corpus_settings: Settings) -> None:
    store = Store(corpus_settings, write=False)
    rows = store.catalog.chunk_rows()
    index = SparseIndex.refreshed(None, rows, store.catalog.tokens_of, 1)
    tokens = store.catalog.tokens_of([r[0] for r in rows])
    docs = [unit for cid, *_ in rows for unit in tokens[cid]]
    assert len(docs) == len(index.ids) > len(rows)  # table rows are entries of their own
    for q in QUERIES:
        want = bm25_by_hand(docs, tokenize(q))
        got = index.scores(tokenize(q))
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6), q
        assert max(want) > 0
    store.close()


def _same(a: SparseIndex, b: SparseIndex) -> None:
    assert a.ids == b.ids
    assert np.array_equal(a.meta.doc, b.meta.doc) and a.meta.docs == b.meta.docs
    for q in QUERIES:
        assert np.array_equal(a.scores(tokenize(q)), b.scores(tokenize(q))), q


def test_updates_equal_a_build_from_scratch(corpus_copy: Path, tmp_path: Path) -> None:
    store = Store(Settings(home=tmp_path / "home"))
    store.ingest([corpus_copy])
    before_sparse, before_dense = store.sparse(), store.dense()
    assert before_dense is not None and len(before_dense.ids) == len(store.catalog.chunk_rows())

    changed = sorted(corpus_copy.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("。", "。本段已修订。", 3), encoding="utf-8")
    sorted(corpus_copy.glob("*.md"))[0].unlink()
    result = store.ingest([corpus_copy], prune=True)
    assert result.updated and result.removed

    sparse, dense = store.sparse(), store.dense()
    assert dense is not None and sparse.generation == dense.generation == store.catalog.generation()
    assert sparse.ids != before_sparse.ids
    _same(sparse, store.refresh_sparse(from_scratch=True))
    scratch = store.refresh_dense(from_scratch=True)
    assert dense.ids == scratch.ids
    assert np.array_equal(dense.matrix, scratch.matrix)
    assert result.removed[0] not in sparse.meta.docs and result.removed[0] not in dense.meta.docs
    store.close()


def test_removing_and_adding_rows_back_is_exact(corpus_settings: Settings) -> None:
    store = Store(corpus_settings, write=False)
    rows = store.catalog.chunk_rows()
    docs = sorted({r[1] for r in rows})
    half = [r for r in rows if r[1] in docs[::2]]
    whole = SparseIndex.refreshed(None, rows, store.catalog.tokens_of, 1)
    small = SparseIndex.refreshed(None, half, store.catalog.tokens_of, 2)
    _same(SparseIndex.refreshed(small, rows, store.catalog.tokens_of, 3), whole)
    _same(SparseIndex.refreshed(whole, half, store.catalog.tokens_of, 4), small)
    store.close()


def test_snapshot_of_another_embedder_is_not_used(corpus_settings: Settings) -> None:
    store = Store(corpus_settings, write=False)
    snap = store.dense()
    assert snap is not None
    other = DenseSnapshot(snap.ids, snap.matrix, snap.meta, snap.generation, "chunks-another-model")
    assert not other.current(snap.generation, snap.collection)
    asked: list[int] = []

    def fetch(ids: list[str]) -> dict[str, np.ndarray]:
        asked.append(len(ids))
        return dict(zip(ids, snap.matrix[[snap.ids.index(i) for i in ids]], strict=True))

    rows = store.catalog.chunk_rows()
    DenseSnapshot.refreshed(other, rows, fetch, snap.generation, snap.collection)
    assert sum(asked) == len(rows)  # every vector read again, none taken from the other model's matrix
    asked.clear()
    DenseSnapshot.refreshed(snap, rows, fetch, snap.generation, snap.collection)
    assert sum(asked) == 0
    store.close()


def test_row_filters_match_a_plain_loop() -> None:
    rows = [("a", 2024, "决算"), ("b", 2023, "预算"), ("a", 2024, "决算"), ("c", None, "other"), ("b", 2024, "决算")]
    meta = RowMeta.of(rows)
    for doc_ids, year, kind in [(("a", "c"), None, None), ((), 2024, None), (("b",), 2024, "决算"), ((), None, "x")]:
        want = [
            (not doc_ids or d in doc_ids) and (year is None or y == year) and (kind is None or k == kind)
            for d, y, k in rows
        ]
        assert meta.mask(doc_ids, year, kind).tolist() == want
    assert meta.mask() is None
    assert meta.doc_of(4) == "b"


def test_top_rows_orders_like_a_full_sort() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.0, 0.5, 0.7], dtype=np.float32)
    assert top_rows(scores, 3).tolist() == [1, 3, 6]
    assert top_rows(scores, 5).tolist() == [1, 3, 6, 2, 5]
    assert top_rows(scores, 20).tolist() == [1, 3, 6, 2, 5, 0, 4]


def test_synthetic_report_keeps_structure() -> None:
    from eval.synth import rescale_amounts, synthetic_report
    from ingest.facts import report_facts
    from ingest.parse import parse_file

    real = parse_file(sorted((Path(__file__).parent.parent / "corpus").glob("*juesuan*"))[0])
    copy = synthetic_report(real, 5)
    assert copy.doc_id != real.doc_id and copy.department != real.department
    assert all(copy.text[b.start : b.end] == b.text for b in copy.blocks)
    facts, copied = report_facts(real), report_facts(copy)
    assert [f.key for f in facts] == [f.key for f in copied] and facts
    assert [f.value for f in facts] != [f.value for f in copied]
    assert rescale_amounts("支出1,234.50万元，增长5.1%，2024年", Decimal(2)) == "支出2,469.00万元，增长5.1%，2024年"


def test_a_report_read_with_a_new_title_is_indexed_anew(tmp_path: Path) -> None:
    from dataclasses import replace

    from ingest.parse import parse_file

    store = Store(Settings(home=tmp_path / "home"))
    report = parse_file(sorted((Path(__file__).parent.parent / "corpus").glob("beiguan*"))[0])
    store.ingest_reports([report])
    renamed = replace(report, title="漳河新区工业和信息化局2024年度部门决算")  # same text, title read anew
    result = store.ingest_reports([renamed])
    assert result.chunks_embedded == len(store.catalog.chunk_rows())  # the vectors were made with the title
    sparse = store.sparse()
    assert sparse.scores(tokenize("漳河")).max() > 0  # BM25 rows are not the old title's
    assert sparse.scores(tokenize("北关区")).max() > 0  # (the text still names it)
    _same(sparse, store.refresh_sparse(from_scratch=True))
    store.close()
