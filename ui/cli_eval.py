"""`budgetqa eval`: the evaluation harness and the number probe from the command line (kept apart from
ui/cli.py, which every command imports)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.errors import BadInputError
from ingest.settings import Settings
from rag.tuning import DEFAULT_TUNING, GRID, Tuning
from ui.cli import dump_json


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """`budgetqa eval`: a gold set, by family, leave-one-family-out, or the number probe."""
    from tqdm import tqdm

    from eval.families import by_family, load_families
    from eval.gold import DEFAULT_GOLD, load_gold
    from eval.harness import Pipeline, evaluate, outcome_of
    from eval.report import fmt, markdown, write_report

    if args.numbers:
        return _number_probe(args, settings)
    gold = load_gold(Path(args.gold) if args.gold else DEFAULT_GOLD)
    from rag.service import QA

    qa = QA(settings)
    texts: dict[str, str] = {}

    def source_text(doc_id: str, start: int, end: int) -> str:
        if doc_id not in texts:
            texts[doc_id] = qa.store.catalog.report_text(doc_id)
        return texts[doc_id][start:end]

    def mode(use_llm: bool, tuning: Tuning = DEFAULT_TUNING) -> Pipeline:
        def run(q, k, doc_filter):  # noqa: ANN001, ANN202
            docs = (q.doc,) if doc_filter and q.doc else ()
            return outcome_of(qa.ask(q.question, docs, k, use_llm=use_llm, tuning=tuning), source_text, k)

        return run

    families = load_families(Path(args.families)) if args.families else load_families()
    if args.lofo:
        return _leave_one_family_out(args, gold, families, set(qa.store.catalog.doc_ids()), mode)

    pipelines: dict[str, Pipeline] = {"budgetqa": mode(False)}
    if args.llm:
        if not settings.llm_configured:
            raise BadInputError("--llm needs an endpoint: set BUDGETQA_LLM_BASE_URL and BUDGETQA_LLM_MODEL")
        pipelines["llm"] = mode(True)
    known = set(qa.store.catalog.doc_ids())
    if args.baseline:
        from eval.baseline import Baseline

        print("building the llama-index baseline (SentenceSplitter 512, vector only)…", file=sys.stderr)
        pipelines["baseline"] = Baseline({d: source_text(d, 0, None) for d in sorted(known)}, qa.store.embedder)
    runnable = sum(1 for q in gold if not q.doc or q.doc in known)
    bar = tqdm(total=runnable * len(pipelines), desc="eval", unit="q", file=sys.stderr, disable=None)
    result = evaluate(pipelines, gold, known, args.top_k, args.doc_filter, progress=lambda _id: bar.update(1))
    bar.close()
    if args.by_family:
        result["by_family"] = by_family(result["per_question"], gold, families)
    for s in result["skipped"]:
        print(f"跳过 {s['id']}：{s['reason']}", file=sys.stderr)
    if args.out:
        for path in write_report(result, Path(args.out)):
            print(f"已写入 {path}", file=sys.stderr)
    if args.json:
        print(dump_json(result))
    else:
        print(markdown(result).split("\n## Misses")[0])
        print(f"overall evidence_recall@{args.top_k} {fmt(result['metrics']['evidence_recall_at_k'])}")
    return 0


def _leave_one_family_out(args: argparse.Namespace, gold, families, known, mode) -> int:  # noqa: ANN001
    from tqdm import tqdm

    from eval.families import leave_one_family_out
    from eval.harness import run_pipeline, split_known
    from eval.report import family_table

    run_gold, skipped = split_known(gold, known)
    for s in skipped:
        print(f"跳过 {s['id']}：{s['reason']}", file=sys.stderr)
    bar = tqdm(total=len(GRID), desc="tunings", unit="run", file=sys.stderr, disable=None)

    def run(t: Tuning) -> list[dict]:
        rows = run_pipeline(mode(False, t), run_gold, args.top_k, args.doc_filter)
        bar.update(1)
        return rows

    result = leave_one_family_out(run, run_gold, families)
    bar.close()
    if args.json:
        print(dump_json(result))
    else:
        held = {f: v["held_out"] for f, v in result["families"].items()}
        chosen = {f: v["tuning"] for f, v in result["families"].items()}
        print("Leave one family out: each family scored with the tuning chosen on the others\n")
        print(family_table(held, chosen))
    return 0


def _number_probe(args: argparse.Namespace, settings: Settings) -> int:
    from eval.numbers_probe import probe, render
    from ingest.pipeline import Store, tqdm_progress

    store = Store(settings, write=False)
    known = set(store.catalog.doc_ids())
    for d in args.doc or ():
        if d not in known:
            raise BadInputError(f"unknown doc_id {d!r}; see `budgetqa docs`")
    result = probe(store, list(args.doc or ()) or None, progress=tqdm_progress())
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "numbers.json").write_text(dump_json(result.to_dict()), encoding="utf-8")
        (out / "numbers.md").write_text(render(result) + "\n", encoding="utf-8")
        print(f"已写入 {out / 'numbers.json'} 和 numbers.md", file=sys.stderr)
    print(dump_json(result.to_dict()) if args.json else render(result))
    return 0
