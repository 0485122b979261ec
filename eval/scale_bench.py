"""Scale benchmark: 1,000 reports synthesised from the real ones, indexed in batches, then asked.

    python -m eval.scale_bench [--reports 1000] [--batch 100] [--long-text 10] [--realdata DIR] [--out f.json]
                               [--keep] [--reuse HOME]

Each real report (corpus/ and the PDFs of --realdata) is read once; synthetic copies rename its
department and re-scale its amounts (eval/synth.py), so every copy is new text with the real structure.
They are stored in batches through `Store.ingest_reports` (the path `ingest` takes after reading a
file; reading itself is measured on the real files), with real use-m3 embeddings and the local Chroma
store. Then, on the full index: warm `ask` p50/p95 (questions naming a report, and questions naming
none), `check`, `locate` and `audit` latency, a cold `budgetqa ask` in a new process, the update of one
changed report (all index work included), the update of one changed real file through `ingest`, the
size of the index on disk and the peak memory of this process. First, in a child process of its own,
one long text file (--long-text MB) is ingested: its time and peak memory.
Targets: ask p95 ≤ 300 ms, peak ≤ 2 GB, updating one report ≤ 5 s; a long text's peak ≤ 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from eval.bench import pct
from eval.synth import synthetic_report
from ingest.model import Report
from ingest.parse import parse_file
from ingest.pipeline import Store, collect_files
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
NAMED = [
    "{who}的一般公共预算财政拨款支出是多少？",
    "{who}的财政拨款收入为什么增加？",
    "{who}的“三公”经费支出是多少？",
    "{who}的机关运行经费是多少？",
    "{who}的项目支出为什么减少？",
    "{who}的收入支出总计是多少？",
]
UNNAMED = [
    "哪些部门的公务接待费比上年减少？",
    "政府性基金预算财政拨款收入为什么增加？",
    "社会保障和就业支出主要用于哪些方面？",
    "部门整体支出绩效自评得分是多少？",
    "国有资本经营预算财政拨款支出情况如何？",
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_ms(fn, *args, **kw) -> float:  # noqa: ANN001, ANN002, ANN003
    s = time.perf_counter()
    fn(*args, **kw)
    return (time.perf_counter() - s) * 1000


def read_real(paths: list[Path]) -> tuple[list[Report], dict]:
    files, _ = collect_files(paths)
    t0 = time.perf_counter()
    reports = [parse_file(f) for f in files]
    secs = time.perf_counter() - t0
    pdf_pages = sum(r.pages for r in reports if r.encoding == "pdf")
    return reports, {"real_reports": len(reports), "read_s": round(secs, 1), "pdf_pages": pdf_pages}


def build(store: Store, real: list[Report], n: int, batch: int) -> dict:
    batches = []
    for start in range(0, n, batch):
        reports = [synthetic_report(real[i % len(real)], i) for i in range(start, min(n, start + batch))]
        t0 = time.perf_counter()
        result = store.ingest_reports(reports)
        secs = time.perf_counter() - t0
        batches.append(
            {
                "reports": start + len(reports),
                "s": round(secs, 1),
                "chunks_embedded": result.chunks_embedded,
                "peak_mb": round(peak_mb()),
            }
        )
        print(f"  {batches[-1]}", file=sys.stderr, flush=True)
    total = sum(b["s"] for b in batches)
    chunks = sum(b["chunks_embedded"] for b in batches)
    return {
        "batches": batches,
        "index_s": round(total, 1),
        "reports_per_s": round(n / total, 2),
        "chunks": chunks,
        "chunks_per_s": round(chunks / total, 1),
    }


def disk_mb(home: Path) -> dict:
    def size(p: Path) -> float:
        if p.is_file():
            return p.stat().st_size / 1048576
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 1048576

    return {p.name: round(size(p), 1) for p in sorted(home.iterdir())} | {"total": round(size(home), 1)}


def update_one(store: Store, real: list[Report], n: int) -> dict:
    """A report already in the index comes back changed (new figures, renamed): everything an ingest
    does for it, the indexes included."""
    i = n // 2
    old = synthetic_report(real[i % len(real)], i)
    changed = replace(synthetic_report(real[i % len(real)], i + 7 * len(real)), doc_id=old.doc_id)
    t0 = time.perf_counter()
    result = store.ingest_reports([changed])
    total = time.perf_counter() - t0
    return {
        "report_update_s": round(total, 2),
        "chunks_embedded": result.chunks_embedded,
        "sparse_rebuild_alone_s": round(timed_ms(store.refresh_sparse, True) / 1000, 2),
        "dense_rebuild_alone_s": round(timed_ms(store.refresh_dense, True) / 1000, 2),
        "orphan_sweep_s": round(timed_ms(store.remove_orphan_vectors) / 1000, 2),
    }


def update_file(store: Store, work: Path) -> dict:
    """A real text report ingested as a file, then again with one figure changed (read + index)."""
    src = sorted((ROOT / "corpus").glob("*.txt"))[0]
    f = work / f"updated-{src.name}"
    shutil.copy(src, f)
    first = timed_ms(store.ingest, [f]) / 1000
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("。", "，本段已修订。", 1), encoding="utf-8")
    second = timed_ms(store.ingest, [f]) / 1000
    return {"file_add_s": round(first, 2), "file_update_s": round(second, 2)}


def ask_latency(store: Store, settings: Settings, n: int) -> dict:
    from rag.locate import Locator
    from rag.service import QA

    rng = random.Random(11)
    reports = store.catalog.reports()
    titles = [r["title"] for r in rng.sample(reports, min(len(reports), n))]
    named = [NAMED[k % len(NAMED)].format(who=t) for k, t in enumerate(titles)]
    qa = QA(settings, store)
    qa.ask(named[0])  # warm up
    lat_named = [timed_ms(qa.ask, q) for q in named]
    lat_unnamed = [timed_ms(qa.ask, q) for q in UNNAMED * 4]
    docs = [r["doc_id"] for r in rng.sample(reports, 20)]
    sentence = "一般公共预算财政拨款支出{v}万元，比上年增加12.30万元，增长5.1%。"
    lat_check = [timed_ms(qa.check, sentence.format(v=f"{100 + k}.25"), (d,)) for k, d in enumerate(docs)]
    t0 = time.perf_counter()
    loc = Locator(store)
    locator_start_ms = (time.perf_counter() - t0) * 1000
    facts = [f for f in store.facts.facts(tuple(docs)) if f.value][:30]
    chunks = [c for d in docs[:10] for c in store.catalog.doc_chunks(d) if c.kind == "text"]
    quotes = [c.text[len(c.text) // 3 : len(c.text) // 3 + 20] for c in rng.sample(chunks, 30)]
    loc.locate(str(facts[0].value))
    lat_locate = [timed_ms(loc.locate, str(f.value)) for f in facts]
    lat_quote = [timed_ms(loc.locate, q) for q in quotes]
    from rag.audit import audit

    lat_audit = [timed_ms(audit, store, d) for d in docs[:10]]
    return {
        "ask_named_ms_p50": pct(lat_named, 50),
        "ask_named_ms_p95": pct(lat_named, 95),
        "ask_unnamed_ms_p50": pct(lat_unnamed, 50),
        "ask_unnamed_ms_p95": pct(lat_unnamed, 95),
        "ask_all_ms_p95": pct(lat_named + lat_unnamed, 95),
        "questions": len(lat_named) + len(lat_unnamed),
        "check_ms_p50": pct(lat_check, 50),
        "check_ms_p95": pct(lat_check, 95),
        "locator_start_ms": round(locator_start_ms, 1),
        "locate_figure_ms_p50": pct(lat_locate, 50),
        "locate_figure_ms_p95": pct(lat_locate, 95),
        "locate_quote_ms_p50": pct(lat_quote, 50),
        "locate_quote_ms_p95": pct(lat_quote, 95),
        "audit_one_report_ms_p50": pct(lat_audit, 50),
        "audit_one_report_ms_max": round(max(lat_audit), 1),
    }


def long_text(mb: float, work: Path) -> dict:
    """One text file of mb MB (the corpus's text reports over and over, amounts re-scaled in each copy)
    ingested into a home of its own; run in a child process so its peak memory is its own."""
    from decimal import Decimal

    from eval.synth import rescale_amounts

    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]
    path = work / "long-report.txt"
    size, copies = 0, 0
    with path.open("w", encoding="utf-8") as out:
        while size < mb * 1048576:
            text = rescale_amounts(sources[copies % len(sources)], Decimal(100 + copies) / 100) + "\n"
            out.write(text)
            size += len(text.encode("utf-8"))
            copies += 1
    store = Store(Settings(home=work / "long-home"))
    base = peak_mb()
    t0 = time.perf_counter()
    result = store.ingest([path])
    secs = time.perf_counter() - t0
    store.close()
    return {
        "file_mb": round(size / 1048576, 1),
        "ingest_s": round(secs, 1),
        "chunks_embedded": result.chunks_embedded,
        "peak_mb": round(peak_mb()),
        "peak_before_ingest_mb": round(base),
        "errors": [str(e) for e in result.errors],
    }


def cold_ask(home: Path) -> float:
    env = dict(os.environ, BUDGETQA_HOME=str(home))
    s = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "budgetqa"), "ask", "政府性基金预算财政拨款收入为什么增加？"],
        env=env,
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    return round(time.perf_counter() - s, 2)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--questions", type=int, default=60)
    ap.add_argument("--realdata", default=str(ROOT.parent / "shared" / "realdata"))
    ap.add_argument("--out", default="")
    ap.add_argument("--keep", action="store_true", help="keep the index (its path is printed)")
    ap.add_argument("--long-text", type=float, default=10, help="MB of one long text file to ingest (0: skip)")
    ap.add_argument("--reuse", default="", help="a home this benchmark built (--keep): measure it again, no build")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="budgetqa-scale-"))
    figures: dict = {}
    if args.long_text:
        import multiprocessing

        print(f"ingesting one {args.long_text:g} MB text in a child process", file=sys.stderr, flush=True)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            figures["long_text"] = pool.apply(long_text, (args.long_text, work))
    if args.reports:
        figures |= scale(args, work)
    text = json.dumps(figures, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    if args.keep:
        print(f"index kept at {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def scale(args: argparse.Namespace, work: Path) -> dict:
    """The synthetic reports indexed in batches, then the index updated, asked and measured."""
    paths = [ROOT / "corpus"]
    if Path(args.realdata).is_dir():
        paths += sorted(Path(args.realdata).glob("*.pdf"))
    else:
        print(f"no PDFs: {args.realdata} is absent; synthesising from corpus/ only", file=sys.stderr)
    real, figures = read_real(paths)
    settings = Settings(home=Path(args.reuse) if args.reuse else work / "home")
    store = Store(settings)
    if args.reuse:
        if not any(d.startswith("synthetic-") for d in store.catalog.doc_ids()[:1]):
            sys.exit(f"--reuse {args.reuse}: not an index this benchmark built (it changes reports in it)")
    else:
        print(f"indexing {args.reports} synthetic reports in {work}", file=sys.stderr)
        figures["build"] = build(store, real, args.reports, args.batch)
    figures["disk_mb"] = disk_mb(settings.home)
    figures["update"] = update_one(store, real, args.reports) | update_file(store, work)
    figures["latency"] = ask_latency(store, settings, args.questions)
    figures["cold_ask_s"] = [cold_ask(settings.home) for _ in range(2)]  # first, then with the OS cache warm
    figures["peak_mb"] = round(peak_mb())
    store.close()
    return figures


if __name__ == "__main__":
    sys.exit(main())
