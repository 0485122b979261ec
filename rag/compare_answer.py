"""Comparison and ranking questions answered from the tables: one figure per report, each cited to
its table row, the differences worked out by the tool and said to be. Never one report's sentence
for a question about several."""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.model import Answer, Chunk, Citation, Fact, Retrieved
from rag.figures import (
    ALL_REPORTS_CUE,
    COMPARE_CUE,
    COMPARE_WORDS,
    RANK_CUE,
    Comparison,
    FigureRequest,
    FigureRow,
    request_from,
)
from rag.question import WHY

# words that name the reports being compared, not the figure ("部门预算和单位预算的收入预算")
REPORT_WORDS = re.compile(r"(?:区级|市级|县级|省级)?(?:部门|单位)(?:预算|决算)")
ChunksOf = Callable[[str], list[Chunk]]


def is_comparison(question: str) -> bool:
    return bool(COMPARE_CUE.search(question)) and not WHY.search(question)


def wants_ranking(question: str) -> bool:
    return bool(RANK_CUE.search(question))


def wants_all_reports(question: str) -> bool:
    return bool(ALL_REPORTS_CUE.search(question))


def figure_phrase(content: str) -> str:
    """The words of a question's content (see extractive.content_of) that name the figure: without the
    words of comparing and ranking and the report kinds ("部门预算和单位预算的…")."""
    words = COMPARE_WORDS.sub(" ", REPORT_WORDS.sub(" ", content))
    return "".join(t.strip("和与及各") for t in words.split() if len(t) > 1)  # "中" of "预算中" is left over


def request_for(content: str, items: frozenset[str]) -> FigureRequest | None:
    phrase = figure_phrase(content)
    return request_from(phrase, items) if phrase else None


def label(req: FigureRequest) -> str:
    """The figure's name as a report would write it, so that the number check reads it back."""
    k = req.key
    if req.code:
        return req.describe()
    scope = k.scope if k.scope not in ("", "全部") else ""
    if k.item == "总计":
        return f"{scope}{k.flow}总计"
    if k.item:
        return f"{scope}{k.item}{k.part}"
    return f"{scope}{k.part}{k.flow if not k.part else ''}"


def in_chunk(row_source: str, chunk_text: str) -> bool:
    """A table row as printed (cells joined by " | ") stands in a table passage."""
    want = re.sub(r"[\s|]", "", row_source)
    return bool(want) and want in re.sub(r"[\s|]", "", chunk_text)


def table_chunk(fact: Fact, chunks: list[Chunk]) -> Chunk | None:
    """The table passage a cell's row stands in (its own table's first, then any)."""
    tables = [c for c in chunks if c.kind == "table"]
    same = [c for c in tables if c.table_title == fact.table_title] or tables
    return next((c for c in same if in_chunk(fact.source, c.text)), None)


def citation_of(n: int, c: Chunk, quote: str, page: int | None = None) -> Citation:
    return Citation(
        n, c.doc_id, c.title, c.section, page or c.page, c.chunk_id, c.kind, c.text, quote, locator=c.locator
    )


def comparison_answer(question: str, cmp: Comparison, chunks_of: ChunksOf, retrieved: list[Retrieved]) -> Answer:
    """The comparison as an answer: per report its figure with the table cell and the report's own
    sentence cited, the table, and what the tool computed (in a note: those numbers are not the reports')."""
    what = label(cmp.request)
    stage_word = {"预算": "预算", "决算": "决算", "执行": "预算执行数", "调整预算": "调整预算"}
    citations: list[Citation] = []
    cited: list[Chunk] = []  # the passages shown with the answer: the cited ones first
    parts: list[str] = []
    for row in cmp.rows:
        name = _name(row)
        if not row.found:
            parts.append(f"{name}：{row.note}")
            continue
        cite = said = ""
        chunk = table_chunk(row.fact, chunks_of(row.doc_id)) if row.fact is not None else None
        if row.fact is not None and chunk is not None:
            citations.append(citation_of(len(citations) + 1, chunk, row.fact.source, row.fact.page))
            cited.append(chunk)
            cite = f"[{len(citations)}]"
        if row.told is not None:
            citations.append(citation_of(len(citations) + 1, row.told.chunk, row.told.sentence))
            cited.append(row.told.chunk)
            said = f"报告正文：“{row.told.sentence.rstrip('。；;')}”[{len(citations)}]"
        if row.fact is None:
            parts.append(f"{name}（表格中未列）{said}")
            continue
        said = f"，{said}" if said else ""
        parts.append(f"{name}：{what}{stage_word.get(row.stage, '')}{row.wan():,}万元{cite}{said}")
    head = f"按各报告表格中的「{what}」（单位：万元）："
    if not cmp.comparable:
        head = f"这些数字不能直接比较——{cmp.reason}。各报告表格中的「{what}」："
    body = "；".join(parts) + "。"
    notes: list[str] = []
    if cmp.computed:
        notes.append("由本工具根据上述表格数字计算（非报告原文）：" + "；".join(cmp.computed) + "。")
    missing = [r for r in cmp.rows if not r.found]
    if missing:
        notes.append(f"{len(missing)}个报告的表格中找不到这一项，已列出原因。")
    return Answer(
        question=question,
        answer=head + body,
        mode="extractive",
        abstained=False,
        citations=tuple(citations),
        retrieved=tuple(Retrieved(c, 1.0) for c in cited) + tuple(retrieved),
        notes=tuple(notes),
        table=cmp.table(),
    )


def _name(row: FigureRow) -> str:
    return f"《{row.report}》"
