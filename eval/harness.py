"""The eval harness: gold questions through a pipeline (budgetqa, the llama-index baseline, the LLM mode)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from eval.gold import GoldQuestion
from eval.metrics import by_type, numbers_found, share_contained, summarize
from ingest.errors import BadInputError
from ingest.model import Answer


@dataclass(frozen=True)
class Outcome:
    """What a pipeline did with one question, in the terms the metrics need."""

    answer: str
    abstained: bool
    retrieved: tuple[str, ...]  # top-k passages, each as shown and as in the source
    cited: tuple[str, ...]
    statuses: tuple[str, ...] = ()  # number-check status of each number of the answer
    mode: str = "extractive"
    notes: tuple[str, ...] = field(default_factory=tuple)
    cited_docs: tuple[str, ...] = ()  # the report of each citation, in order


Pipeline = Callable[[GoldQuestion, int, bool], Outcome]


def outcome_of(answer: Answer, source_text: Callable[[str, int, int], str], top_k: int) -> Outcome:
    """An Answer of budgetqa as an Outcome; passages count with their source span too, so evidence
    copied from a printed table row matches the rendered table chunk."""

    def texts(chunk) -> list[str]:  # noqa: ANN001
        return [chunk.text, source_text(chunk.doc_id, chunk.start, chunk.end)]

    by_id = {r.chunk.chunk_id: r.chunk for r in answer.retrieved}
    retrieved = [t for r in answer.retrieved[:top_k] for t in texts(r.chunk)]
    cited = []
    for c in answer.citations:
        chunk = by_id.get(c.chunk_id)
        cited += texts(chunk) if chunk else [c.text]
    return Outcome(
        answer=answer.answer,
        abstained=answer.abstained,
        retrieved=tuple(retrieved),
        cited=tuple(cited),
        statuses=tuple(n.status for n in answer.numbers),
        mode=answer.mode,
        notes=answer.notes,
        cited_docs=tuple(c.doc_id for c in answer.citations),
    )


def off_report_share(q: GoldQuestion, out: Outcome) -> float | None:
    """Share of an answer's citations from reports other than the one the question asks about; None
    for questions about several reports (compare, rank, no report) and answers citing nothing."""
    if not q.doc or q.type in ("compare", "rank") or out.abstained or not out.cited_docs:
        return None
    return sum(1 for d in out.cited_docs if d != q.doc) / len(out.cited_docs)


def score_question(q: GoldQuestion, out: Outcome, latency_ms: float) -> dict:
    answered = not out.abstained
    support = share_contained(q.evidence, out.cited if answered else ())
    return {
        "id": q.id,
        "type": q.type,
        "doc": q.doc,
        "question": q.question,
        "answer": out.answer,
        "mode": out.mode,
        "abstained": out.abstained,
        "evidence_recall": share_contained(q.evidence, out.retrieved),
        "citation_support": support,
        # a trap ("why did the fund grow?" of a report that says it has no such fund) is declined either by
        # abstaining or by citing the passage that says so
        "declined": out.abstained or (q.type == "unanswerable" and bool(q.evidence) and support == 1),
        "numeric_accuracy": numbers_found(q.expected_numbers, out.answer if answered else ""),
        "off_report": off_report_share(q, out),
        "first_cited_doc": out.cited_docs[0] if out.cited_docs else None,
        "numbers_checked": len(out.statuses),
        "numbers_verified": sum(1 for s in out.statuses if s == "verified"),
        "numbers_unsupported": sum(1 for s in out.statuses if s == "unsupported"),
        "numbers_mismatch": sum(1 for s in out.statuses if s == "mismatch"),
        "latency_ms": round(latency_ms, 2),
        "notes": list(out.notes),
    }


def split_known(gold: Sequence[GoldQuestion], known: set[str]) -> tuple[list[GoldQuestion], list[dict]]:
    """Questions about reports that are not indexed are skipped (and listed), not failed."""
    run, skipped = [], []
    for q in gold:
        if q.doc and q.doc not in known:
            skipped.append({"id": q.id, "doc": q.doc, "reason": f"report {q.doc!r} is not in the index"})
        else:
            run.append(q)
    return run, skipped


def run_pipeline(
    pipeline: Pipeline,
    gold: Sequence[GoldQuestion],
    top_k: int,
    doc_filter: bool,
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    rows = []
    for q in gold:
        t0 = time.perf_counter()
        out = pipeline(q, top_k, doc_filter)
        rows.append(score_question(q, out, (time.perf_counter() - t0) * 1000))
        if progress:
            progress(q.id)
    return rows


def evaluate(
    pipelines: dict[str, Pipeline],
    gold: Sequence[GoldQuestion],
    known_docs: set[str],
    top_k: int = 5,
    doc_filter: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """{"n", "metrics", "by_type", "per_question", "skipped"} for the first pipeline, and
    {"metrics", "by_type", "per_question"} under its name for each further one ("baseline", "llm")."""
    if not 1 <= top_k <= 50:
        raise BadInputError(f"--top-k {top_k} is out of range; use 1 to 50")
    run, skipped = split_known(gold, known_docs)
    if not run:
        docs = sorted({s["doc"] for s in skipped})
        raise BadInputError(
            f"none of the gold questions' reports is indexed ({', '.join(docs)}); "
            "run `budgetqa ingest` on those files first"
        )
    result: dict = {"n": len(run), "top_k": top_k, "doc_filter": doc_filter, "skipped": skipped}
    for i, (name, pipeline) in enumerate(pipelines.items()):
        rows = run_pipeline(pipeline, run, top_k, doc_filter, progress)
        part = {"metrics": summarize(rows), "by_type": by_type(rows), "per_question": rows}
        if i == 0:
            result.update(part)
        else:
            result[name] = part
    return result
