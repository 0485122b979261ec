"""Benchmark: ingest throughput, warm query latency, cold start, peak memory.

    python eval/bench.py [--realdata ../shared/realdata] [--out bench.json]

Ingests corpus/ plus the PDFs of --realdata into a fresh temporary BUDGETQA_HOME (real use-m3
embeddings), then times 50 questions through the same path as `budgetqa ask`, then one cold
`budgetqa ask` in a new process. Targets (foundation issue): ingest ≥ 8 PDF pages/s end to end,
warm ask p50 ≤ 150 ms and p95 ≤ 400 ms, cold ask ≤ 4 s, peak memory ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import Store  # noqa: E402
from ingest.settings import Settings  # noqa: E402

TEMPLATES = [
    "{who}的一般公共预算财政拨款支出是多少？",
    "{who}的财政拨款收入为什么增加？",
    "{who}的“三公”经费支出是多少？",
    "{who}的机关运行经费是多少？",
    "{who}的基本支出是多少？",
    "{who}的项目支出为什么减少？",
    "{who}政府采购支出总额是多少？",
    "{who}的收入支出总计是多少？",
    "{who}的公务接待费是多少？",
    "What was the total expenditure of {who}?",
]


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--realdata", default=str(ROOT.parent / "shared" / "realdata"))
    ap.add_argument("--out", default="")
    ap.add_argument("--questions", type=int, default=50)
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="budgetqa-bench-"))
    settings = Settings(home=home)
    paths = [ROOT / "corpus"]
    pdfs = sorted(Path(args.realdata).glob("*.pdf")) if Path(args.realdata).is_dir() else []
    paths += pdfs
    store = Store(settings)
    t0 = time.perf_counter()
    result = store.ingest(paths)
    ingest_s = time.perf_counter() - t0
    pdf_pages = sum(r["pages"] for r in store.catalog.reports() if r["encoding"] == "pdf")
    n_chunks = sum(r["n_chunks"] for r in store.catalog.reports())
    # PDFs alone, the figure the target is stated in
    home2 = Path(tempfile.mkdtemp(prefix="budgetqa-bench-pdf-"))
    store2 = Store(Settings(home=home2))
    t1 = time.perf_counter()
    store2.ingest(pdfs)
    pdf_s = time.perf_counter() - t1
    store2.close()

    from rag.service import QA

    qa = QA(settings, store)
    who = [r["title"] for r in store.catalog.reports()]
    questions = [t.format(who=w) for w in who for t in TEMPLATES][: args.questions]
    qa.ask(questions[0])  # warm up
    lat = []
    for q in questions:
        s = time.perf_counter()
        qa.ask(q)
        lat.append((time.perf_counter() - s) * 1000)
    lat.sort()
    env = dict(os.environ, BUDGETQA_HOME=str(home))
    s = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "budgetqa"),
            "ask",
            "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？",
        ],
        env=env,
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    cold = time.perf_counter() - s
    figures = {
        "reports": len(result.added),
        "pdf_pages": pdf_pages,
        "chunks": n_chunks,
        "ingest_all_s": round(ingest_s, 2),
        "ingest_pdf_only_s": round(pdf_s, 2),
        "pdf_pages_per_s": round(pdf_pages / pdf_s, 2) if pdf_s else None,
        "chunks_per_s": round(n_chunks / ingest_s, 1),
        "warm_ask_ms_p50": round(statistics.median(lat), 1),
        "warm_ask_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 1),
        "questions": len(lat),
        "cold_ask_s": round(cold, 2),
        "peak_mb": round(peak_mb(), 1),
        "errors": [str(e) for e in result.errors],
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
