"""Benchmark: one run gives every speed and memory figure the issues name.

    flock /tmp/bq-heavy.lock .venv/bin/python eval/bench.py [--realdata ../shared/realdata] [--corpus corpus]
        [--embedders use-m3,e5-small] [--questions 50] [--scale 1000] [--read-mb N] [--no-crafted] [--out bench.json]

A tiny run, to see that it works (a minute): --realdata DIR_WITH_ONE_SMALL_PDF --corpus '' --questions 5
--scale 20 --embedders use-m3,e5-small.

What it does: ingests --corpus plus the PDFs of --realdata into a fresh temporary BUDGETQA_HOME with the
default embedder; the PDFs alone again into a fresh home for each embedder of --embedders (end to end:
reading in capped workers, tables, facts, embedding, indexes, the embedder's load included); then times
--questions questions through the same path as `budgetqa ask` (warm) and one `budgetqa ask` in a new
process (cold); locate, audit of every report, the cost of table extraction, opening a cited page,
compare over --scale synthetic reports; the llama-index baseline over the same reports; and reading
each of the two crafted PDFs of issue 26 (a 5 MB one-line text, 611 KB of deflate holding 300 MB of
drawing commands; built by tests/test_security.py) with `budgetqa ingest` under the read caps.

Output (JSON on stdout, and in --out): "summary" holds the figures the issues' bars are stated in —
  warm_ask_ms_p50, warm_ask_ms_p95      asks in this process (issue 23: p50 ≤ 100 ms)
  cold_ask_s                            wall time of one `budgetqa ask` process (issue 23: ≤ 2 s)
  ingest                                per embedder: pdf_pages_per_s, chunks_per_s, seconds, pages, chunks
                                        (issue 23: ≥ 4 PDF pages/s end to end with the default embedder)
  baseline                              llama-index beside it: query p50, build chunks/s over the text
                                        budgetqa extracted, and end to end over the PDFs with pypdf
                                        (llama-index's default PDF reader); same embedder, already loaded
  audit_slowest_report_s, audit_slowest_report   the slowest single report's audit (bar: under 1 s)
  crafted                               per crafted PDF: exit code, the one line said, wall_s, peak RSS —
                                        peak_tree_mb (the ingest and its workers together, /proc polled
                                        every 50 ms), peak_process_mb (the largest one process's VmHWM),
                                        rusage_max_mb (wait4's ru_maxrss of the ingest: itself and the
                                        children it reaped) — with the caps of --read-mb (default: the
                                        settings' BUDGETQA_MAX_READ_MB) (issue 26)
and the full figures follow: reports, pdf_pages, chunks, ingest_all_s, chunks_per_s, peak_mb (this
process and its children), locate_ms_p50/p95, audit_all_reports_s, table_extraction_s and its shares,
page_render (first and cached ms), compare_<n>_reports, errors.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import Store  # noqa: E402
from ingest.settings import Settings, load_settings  # noqa: E402

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
BUDGETQA = str(Path(sys.executable).parent / "budgetqa")


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--realdata", default=str(ROOT.parent / "shared" / "realdata"), help="a folder of PDFs")
    ap.add_argument("--corpus", default=str(ROOT / "corpus"), help="text reports ingested too; '' for none")
    ap.add_argument("--out", default="")
    ap.add_argument("--questions", type=int, default=50)
    ap.add_argument(
        "--embedders",
        default="use-m3,e5-small",
        help="embedders whose PDF ingest speed is measured side by side (pages/s, chunks/s); the default "
        "embedder is always measured",
    )
    ap.add_argument("--scale", type=int, default=1000, help="synthetic reports for compare at scale; 0 skips it")
    ap.add_argument("--read-mb", type=int, default=0, help="BUDGETQA_MAX_READ_MB for the crafted PDFs (0: the default)")
    ap.add_argument("--no-crafted", action="store_true", help="skip reading the two crafted PDFs")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="budgetqa-bench-"))
    settings = Settings(home=home)
    pdfs = sorted(Path(args.realdata).glob("*.pdf")) if Path(args.realdata).is_dir() else []
    paths = ([Path(args.corpus)] if args.corpus else []) + pdfs
    store = Store(settings)
    t0 = time.perf_counter()
    result = store.ingest(paths)
    ingest_s = time.perf_counter() - t0
    pdf_pages = sum(r["pages"] for r in store.catalog.reports() if r["encoding"] == "pdf")
    n_chunks = sum(r["n_chunks"] for r in store.catalog.reports())
    specs = [settings.embedder] + [s.strip() for s in args.embedders.split(",") if s.strip()]
    per_embedder = [embedder_ingest(pdfs, spec) for spec in dict.fromkeys(specs)] if pdfs else []

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
    subprocess.run([BUDGETQA, "ask", questions[0]], env=env, capture_output=True, check=True, cwd=ROOT)
    cold = time.perf_counter() - s
    base = baseline_figures(store, questions)
    base["pdf_end_to_end"] = baseline_pdf_ingest(pdfs, store) if pdfs else None
    loc = locate_figures(store)
    tables = table_share(pdfs) if pdfs else (0.0, 0.0, None)
    audit_s = time_audit(store)
    audit_max, audit_slowest = time_audit_max(store)
    render = page_render_figures(qa, questions)
    scale = compare_at_scale(settings.db_path, args.scale) if args.scale else None
    read_mb = args.read_mb or load_settings().max_read_mb
    crafted = [] if args.no_crafted else crafted_reads(read_mb)
    default = next((e for e in per_embedder if e["embedder"] == settings.embedder), {})
    figures = {
        "summary": {
            "warm_ask_ms_p50": round(statistics.median(lat), 1),
            "warm_ask_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 1),
            "cold_ask_s": round(cold, 2),
            "default_embedder": settings.embedder,
            "ingest": per_embedder,
            "baseline": {
                "warm_query_ms_p50": base["warm_query_ms_p50"],
                "build_chunks_per_s": base["chunks_per_s"],
                "pdf_end_to_end": base["pdf_end_to_end"],
            },
            "audit_slowest_report_s": audit_max,
            "audit_slowest_report": audit_slowest,
            "crafted": crafted,
        },
        "reports": len(result.added),
        "pdf_pages": pdf_pages,
        "chunks": n_chunks,
        "ingest_all_s": round(ingest_s, 2),
        "ingest_pdf_only_s": default.get("seconds"),
        "pdf_pages_per_s": default.get("pdf_pages_per_s"),
        "chunks_per_s": round(n_chunks / ingest_s, 1),
        "embedder": settings.embedder,
        "questions": len(lat),
        "peak_mb": round(peak_mb(), 1),
        "locate_ms_p50": loc[0],
        "locate_ms_p95": loc[1],
        "locate_queries": loc[2],
        "audit_all_reports_s": audit_s,
        "table_extraction_s": tables[0],
        "pdf_parse_single_process_s": tables[1],
        "table_share_of_pdf_parse": tables[2],
        "table_share_of_pdf_ingest_end_to_end": (
            round(tables[0] / default["seconds"], 3) if default.get("seconds") else None
        ),
        "page_render": render,
        f"compare_{args.scale}_reports": scale,
        "baseline": base,
        "errors": [str(e) for e in result.errors],
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


# --- reading the crafted PDFs under the caps -------------------------------------------------------
def _tree(root: int) -> list[int]:
    """root and its descendants now (the ingest, the forkserver, the reading workers)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KB; (0, 0) once it is gone."""
    try:
        fields = dict(ln.split(":", 1) for ln in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in ln)
        return int(fields.get("VmRSS", "0 kB").split()[0]), int(fields.get("VmHWM", "0 kB").split()[0])
    except (OSError, ValueError):
        return 0, 0


# getrusage(RUSAGE_CHILDREN) of a small process that only runs the command: a child forked from this big
# process would count this process's memory as its own (Linux keeps the high-water mark across exec)
RUSAGE_OF_CHILD = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
)


def crafted_reads(read_mb: int) -> list[dict]:
    """`budgetqa ingest` of each crafted PDF in a fresh home with BUDGETQA_MAX_READ_MB=read_mb: its exit
    code and line, wall time and peak memory (see the module's docstring)."""
    from tests.test_security import drawing_bomb_pdf, one_line_text_pdf

    folder = Path(tempfile.mkdtemp(prefix="budgetqa-bench-crafted-"))
    out = []
    for name, data in (("one-line-text.pdf", one_line_text_pdf(5 << 20)), ("drawing-bomb.pdf", drawing_bomb_pdf())):
        pdf = folder / name
        pdf.write_bytes(data)
        env = dict(os.environ, BUDGETQA_HOME=str(folder / f"home-{pdf.stem}"), BUDGETQA_MAX_READ_MB=str(read_mb))
        err = (folder / f"{pdf.stem}.err").open("w+")
        t = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", RUSAGE_OF_CHILD, BUDGETQA, "ingest", str(pdf)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        peak_tree = peak_one = 0
        while True:
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            memory = [_memory_kb(p) for p in _tree(proc.pid)]
            peak_tree = max(peak_tree, sum(rss for rss, _ in memory))
            peak_one = max([peak_one] + [hwm for _, hwm in memory])
            time.sleep(0.05)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        said = [ln for ln in err.read().replace("\r", "\n").splitlines() if ln.strip() and "%|" not in ln]
        err.close()
        out.append(
            {
                "file": name,
                "file_kb": len(data) >> 10,
                "max_read_mb": read_mb,
                "exit": proc.returncode,
                "line": said[0] if len(said) == 1 else said,
                "wall_s": round(wall, 2),
                "peak_tree_mb": round(peak_tree / 1024, 1),
                "peak_process_mb": round(peak_one / 1024, 1),
                "rusage_max_mb": round(int(proc.stdout.read() or 0) / 1024, 1),
            }
        )
    shutil.rmtree(folder, ignore_errors=True)
    return out


def page_render_figures(qa, questions: list[str]) -> dict:  # noqa: ANN001
    """Opening a cited PDF page with the quote boxed: first (render + boxes) and cached, per citation."""
    from rag.pages import PageViewer

    viewer = PageViewer(qa.store)
    views = []
    for q in questions:
        for c in qa.ask(q).citations:
            if c.page and viewer.is_pdf(c.doc_id):
                views.append(c)
    first, cached, boxed = [], [], 0
    for c in views[:20]:
        s = time.perf_counter()
        view = viewer.citation_view(c)
        viewer.render_view(view)
        first.append((time.perf_counter() - s) * 1000)
        boxed += bool(view.highlights)
        s = time.perf_counter()
        viewer.render_view(viewer.citation_view(c))
        cached.append((time.perf_counter() - s) * 1000)
    if not first:
        return {"citations": 0}
    return {
        "citations": len(first),
        "boxed": boxed,
        "first_ms_p50": round(statistics.median(first), 1),
        "first_ms_max": round(max(first), 1),
        "cached_ms_p50": round(statistics.median(cached), 1),
    }


def embedder_ingest(pdfs: list[Path], spec: str) -> dict:
    """PDF ingest end to end with one embedder in a fresh home: pages/s and chunks/s (embedding is most of
    the difference between embedders; parsing is the same)."""
    store = Store(Settings(home=Path(tempfile.mkdtemp(prefix="budgetqa-bench-emb-")), embedder=spec))
    t = time.perf_counter()
    result = store.ingest(pdfs)
    secs = time.perf_counter() - t
    reports = store.catalog.reports()
    pages = sum(r["pages"] for r in reports if r["encoding"] == "pdf")
    chunks = sum(r["n_chunks"] for r in reports)
    store.close()
    return {
        "embedder": spec,
        "seconds": round(secs, 1),
        "pages": pages,
        "chunks": chunks,
        "pdf_pages_per_s": round(pages / secs, 2) if secs else None,
        "chunks_per_s": round(chunks / secs, 1) if secs else None,
        "errors": len(result.errors),
    }


def baseline_pdf_ingest(pdfs: list[Path], store: Store) -> dict:
    """The llama-index baseline end to end over the same PDFs: pypdf's text (llama-index's default PDF
    reader), SentenceSplitter, the same embedder (already loaded), an in-memory vector index."""
    from pypdf import PdfReader

    from eval.baseline import Baseline

    t = time.perf_counter()
    texts, pages = {}, 0
    for pdf in pdfs:
        reader = PdfReader(pdf)
        pages += len(reader.pages)
        texts[pdf.stem] = "\n".join(page.extract_text() or "" for page in reader.pages)
    base = Baseline(texts, store.embedder)
    secs = time.perf_counter() - t
    return {
        "reader": "pypdf",
        "seconds": round(secs, 1),
        "pages": pages,
        "chunks": base.n_chunks,
        "pdf_pages_per_s": round(pages / secs, 2) if secs else None,
        "chunks_per_s": round(base.n_chunks / secs, 1) if secs else None,
    }


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return round(v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))], 1)


def baseline_figures(store: Store, questions: list[str]) -> dict:
    """The llama-index default pipeline over the same report texts: build time and query latency."""
    from eval.baseline import Baseline

    texts = {d: store.catalog.report_text(d) for d in store.catalog.doc_ids()}
    t0 = time.perf_counter()
    base = Baseline(texts, store.embedder)
    build = time.perf_counter() - t0
    base.retrieve(questions[0], 5)
    lat = []
    for q in questions:
        s = time.perf_counter()
        base.retrieve(q, 5)
        lat.append((time.perf_counter() - s) * 1000)
    return {
        "chunks": base.n_chunks,
        "build_s": round(build, 2),
        "chunks_per_s": round(base.n_chunks / build, 1),
        "warm_query_ms_p50": pct(lat, 50),
        "warm_query_ms_p95": pct(lat, 95),
        "note": "build = SentenceSplitter + embedding of the text budgetqa extracted; pdf_end_to_end reads with pypdf",
    }


def locate_figures(store: Store, n: int = 60) -> tuple[float, float, int]:
    """budgetqa locate over figures taken from the facts and quotes taken from passages."""
    import random

    from rag.locate import Locator

    rng = random.Random(7)
    facts = [f for f in store.facts.facts() if f.value]
    chunks = [c for d in store.catalog.doc_ids() for c in store.catalog.doc_chunks(d) if c.kind == "text"]
    queries = [str(f.value) for f in rng.sample(facts, min(len(facts), n // 2))]
    for c in rng.sample(chunks, min(len(chunks), n - len(queries))):
        start = rng.randrange(max(1, len(c.text) - 20))
        queries.append(c.text[start : start + 20])
    loc = Locator(store)
    loc.locate(queries[0])
    lat = []
    for q in queries:
        s = time.perf_counter()
        loc.locate(q)
        lat.append((time.perf_counter() - s) * 1000)
    return pct(lat, 50), pct(lat, 95), len(lat)


def table_share(pdfs: list[Path]) -> tuple[float, float, float | None]:
    """What finding tables costs: a single-process parse of the PDFs as usual, minus the same parse
    with pdfplumber's find_tables switched off, plus turning the tables into facts. (Timing
    find_tables alone would also count the page parsing it triggers, which text needs anyway.)"""
    import pdfplumber.page

    from ingest import facts as facts_mod
    from ingest.parse import parse_file

    def parse_all() -> tuple[float, list]:
        t0 = time.perf_counter()
        reports = [parse_file(p) for p in pdfs]
        return time.perf_counter() - t0, reports

    with_tables, reports = parse_all()
    orig = pdfplumber.page.Page.find_tables
    pdfplumber.page.Page.find_tables = lambda self, *a, **k: []
    try:
        without, _ = parse_all()
    finally:
        pdfplumber.page.Page.find_tables = orig
    t0 = time.perf_counter()
    for r in reports:
        facts_mod.report_facts(r)
    facts_s = time.perf_counter() - t0
    cost = max(0.0, with_tables - without) + facts_s
    return round(cost, 2), round(with_tables, 2), round(cost / with_tables, 3) if with_tables else None


def compare_at_scale(db_path: Path, n_reports: int = 1000) -> dict:
    """`compare` over n synthetic reports: the real reports' facts copied under new names, every figure
    re-scaled (the structure stays, the values change), in a copy of the index. Times the keyed query
    (item index → cells → one row per report) for a few items, cold and warm."""
    import sqlite3

    from ingest.catalog import Catalog
    from ingest.factstore import FactStore
    from rag.figures import compare, keyed_for, request_from

    work = Path(tempfile.mkdtemp(prefix="budgetqa-bench-scale-")) / "catalog.sqlite"
    source = sqlite3.connect(db_path)
    db = sqlite3.connect(work)
    source.backup(db)  # the catalog with what its write-ahead log holds (a file copy would miss it)
    source.close()
    real = db.execute("SELECT doc_id, title, year, kind, department FROM reports").fetchall()
    cols = [r[1] for r in db.execute("PRAGMA table_info(facts)")]
    facts_by_doc = {d: db.execute("SELECT * FROM facts WHERE doc_id=?", (d,)).fetchall() for d, *_ in real}
    doc_i, val_i, yuan_i = cols.index("doc_id"), cols.index("value"), cols.index("value_yuan")
    with db:
        for i in range(n_reports):
            doc, title, year, kind, dept = real[i % len(real)]
            new_id, scale = f"synthetic-{i:04d}-{doc}", 1 + (i % 97) / 100
            db.execute(
                "INSERT INTO reports(doc_id, title, year, kind, department) VALUES (?,?,?,?,?)",
                (new_id, f"合成{i:04d}·{title}", year, kind, f"合成{i:04d}{dept}"),
            )
            rows = []
            for r in facts_by_doc[doc]:
                r = list(r)
                r[doc_i] = new_id
                if r[yuan_i] is not None:
                    r[yuan_i] = r[yuan_i] * scale
                    r[val_i] = str(round(float(r[val_i]) * scale, 2))
                rows.append(r)
            db.executemany(f"INSERT INTO facts VALUES ({','.join('?' * len(cols))})", rows)
    db.close()
    catalog = Catalog(work)
    store = FactStore(catalog)
    reports = {r["doc_id"]: r for r in catalog.reports() if r["doc_id"].startswith("synthetic-")}
    docs = tuple(reports)
    out: dict = {"reports": len(docs), "facts": catalog.db.execute("SELECT COUNT(*) FROM facts").fetchone()[0]}
    t = time.perf_counter()
    items = store.items()
    out["items_load_ms"] = round((time.perf_counter() - t) * 1000, 1)
    times = []
    for item in ("三公经费", "一般公共预算财政拨款支出", "社会保障和就业支出", "208", "收入总计"):
        req = request_from(item, items)
        if req is None:  # a small index may not have this item
            out[f"found_{item}"] = None
            continue
        t = time.perf_counter()
        c = compare(req, keyed_for(req, store, reports, docs, items), rank=True)
        times.append((time.perf_counter() - t) * 1000)
        out[f"found_{item}"] = len(c.found)
    out["compare_ms_max"] = round(max(times, default=0.0), 1)
    out["compare_ms_each"] = [round(x, 1) for x in times]
    catalog.close()
    return out


def time_audit_max(store: Store) -> tuple[float, str]:
    """The slowest single report's audit (the bar: under 1 s each) and that report."""
    from rag.audit import audit

    times = []
    for d in store.catalog.doc_ids():
        s = time.perf_counter()
        audit(store, d)
        times.append((time.perf_counter() - s, d))
    slowest = max(times, default=(0.0, ""))
    return round(slowest[0], 2), slowest[1]


def time_audit(store: Store) -> float:
    from rag.audit import audit

    s = time.perf_counter()
    for d in store.catalog.doc_ids():
        audit(store, d)
    return round(time.perf_counter() - s, 2)


if __name__ == "__main__":
    sys.exit(main())
