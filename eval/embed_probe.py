"""Embedders compared on the wide corpus's verified facts, each question searched among its own report's
chunks (dense only, no BM25, no scoping): recall@k of the fact's evidence, and embedding speed.

    python -m eval.embed_probe --home HOME --embedders e5-small,use-m3 [--cache /tmp/wide-chunks.json] [--k 5]

The chunks are read from an index of the wide corpus (--home; chunked by the real pipeline) and kept in
--cache; per embedder: recall@k per family (eval.wide.families) and overall, chunks/s and characters/s.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from eval.metrics import share_contained
from eval.wide import SHARED, facts_gold, families
from ingest.settings import Settings


def report_chunks(doc_ids: set[str], home: Path, cache: Path | None) -> dict[str, list[dict]]:
    """doc_id → [{embed, texts}] of an index's reports (texts: the chunk as shown and its span of the
    report's text), as the real pipeline chunked them; kept in cache."""
    if cache and cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    from ingest.pipeline import Store

    store = Store(Settings(home=home), write=False)
    known = set(store.catalog.doc_ids())
    out: dict[str, list[dict]] = {}
    for d in sorted(doc_ids & known):
        text = store.catalog.report_text(d)
        out[d] = [
            {"embed": c.embed_text(), "texts": [c.text, text[c.start : c.end]]} for c in store.catalog.doc_chunks(d)
        ]
    if cache:
        cache.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return out


def probe(embedder_spec: str, chunks: dict[str, list[dict]], gold: list[dict], fam: dict[str, str], k: int) -> dict:
    from ingest.embed import make_embedder

    spec, _, cap = embedder_spec.partition("@")  # "e5-small@320": e5 reads at most 320 characters of a passage
    e = make_embedder(Settings(home=Path("/tmp/bq-embed-probe"), embedder=spec, embed_max_chars=int(cap or 0)))
    t0 = time.perf_counter()
    vectors = {d: e.embed([c["embed"] for c in cs]) for d, cs in chunks.items() if cs}
    secs = time.perf_counter() - t0
    n_chunks = sum(len(cs) for cs in chunks.values())
    n_chars = sum(len(c["embed"]) for cs in chunks.values() for c in cs)
    rows = []
    for g in gold:
        cs = chunks.get(g["doc"])
        if not cs:
            rows.append((g["doc"], 0.0))
            continue
        q = e.embed_query([g["question"]])[0]
        top = np.argsort(-(vectors[g["doc"]] @ q))[:k]
        got = share_contained(g["evidence"], [t for i in top for t in cs[int(i)]["texts"]])
        rows.append((g["doc"], got or 0.0))
    per_family: dict[str, list[float]] = {}
    for d, r in rows:
        per_family.setdefault(fam.get(d, "ungrouped"), []).append(r)
    return {
        "embedder": embedder_spec,
        f"recall_at_{k}": round(sum(r for _, r in rows) / len(rows), 3),
        "by_family": {
            f: {"n": len(v), f"recall_at_{k}": round(sum(v) / len(v), 3)} for f, v in sorted(per_family.items())
        },
        "questions": len(rows),
        "chunks": n_chunks,
        "chunks_per_s": round(n_chunks / secs, 2),
        "chars_per_s": round(n_chars / secs, 1),
        "embed_seconds": round(secs, 1),
    }


def reembed(home: Path, embedder_spec: str, doc_ids: list[str]) -> dict:
    """The chunks of these reports, as an index holds them, embedded anew with another embedder into that
    index's (a copy's) vector store; its snapshot then searches that embedder's vectors, so the real
    pipeline (`budgetqa eval` with BUDGETQA_EMBEDDER set) runs with it. Reports left out have no vectors
    of that embedder: score only questions of the reports given."""
    from ingest.pipeline import Store

    store = Store(Settings(home=home, embedder=embedder_spec), write=True)
    t0 = time.perf_counter()
    n = 0
    for d in doc_ids:
        chunks = store.catalog.doc_chunks(d)
        store.embed_and_add(chunks)
        n += len(chunks)
    secs = time.perf_counter() - t0
    store.refresh_dense(from_scratch=True)
    return {"embedder": embedder_spec, "reports": len(doc_ids), "chunks": n, "chunks_per_s": round(n / secs, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.embed_probe")
    ap.add_argument("--embedders", default="e5-small,use-m3")
    ap.add_argument("--shared", default=str(SHARED))
    ap.add_argument("--home", required=True, help="an index of the wide corpus (its chunks are re-embedded)")
    ap.add_argument("--cache", default="")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--every", type=int, default=1, help="every n-th report only (a quicker sample)")
    ap.add_argument("--reembed", default="", help="embed the sample's chunks of --home anew with this embedder")
    a = ap.parse_args(argv)
    shared = Path(a.shared)
    gold = facts_gold(shared)
    keep = set(sorted({g["doc"] for g in gold})[:: max(1, a.every)])
    gold = [g for g in gold if g["doc"] in keep]
    if a.reembed:
        print(json.dumps(reembed(Path(a.home), a.reembed, sorted(keep)), ensure_ascii=False))
        return 0
    chunks = report_chunks({g["doc"] for g in gold}, Path(a.home), Path(a.cache) if a.cache else None)
    fam = families(shared)
    results = [probe(spec, chunks, gold, fam, a.k) for spec in a.embedders.split(",") if spec.strip()]
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
