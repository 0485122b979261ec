"""The offline answerer: picks the sentences and table rows that answer the question, quotes them
verbatim with [n] markers, and abstains when nothing matches well enough. Every number it states is
in a cited passage because it only ever quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.model import Answer, Citation, Retrieved

WHY = re.compile(r"为什么|为何|原因|怎么会|\bwhy\b|\breason", re.I)
HOW_MUCH = re.compile(
    r"多少|是多少|几|金额|数额|how much|how many|what (?:was|is) the (?:amount|total)|\bamount\b|\btotal\b", re.I
)
CAUSE_CUE = re.compile(r"主要原因|主要变动情况|主要是|原因是|原因：|原因:|主要用于|主要包括|一是")
AMOUNT = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:万元|亿元|元|%|个|家|人|辆|台|套|项|次|场)")
QUESTION_WORDS = re.compile(
    r"为什么|为何|是什么|什么|是多少|多少|哪些|哪个|哪里|怎么样|怎样|如何|请问|原因|情况|吗|呢|？|\?|。|，|,|的|是|有|了|年度|年"
)
EN_TERMS = {
    "government fund": "政府性基金",
    "general public budget": "一般公共预算",
    "state capital": "国有资本经营",
    "three public": "三公经费",
    "official reception": "公务接待费",
    "vehicle": "公务用车",
    "overseas": "因公出国",
    "revenue": "收入",
    "income": "收入",
    "expenditure": "支出",
    "spending": "支出",
    "budget": "预算",
    "final account": "决算",
    "basic": "基本支出",
    "project": "项目支出",
    "procurement": "政府采购",
    "operating cost": "机关运行经费",
    "increase": "增加",
    "decrease": "减少",
    "fiscal appropriation": "财政拨款",
    "appropriation": "财政拨款",
    "personnel": "人员经费",
    "public funds": "公用经费",
    "score": "得分",
    "execution rate": "执行率",
    "assets": "国有资产",
    "science and technology": "科学技术支出",
    "social security": "社会保障和就业支出",
    "housing": "住房保障支出",
    "health": "卫生健康支出",
    "total": "合计",
}
MIN_COVERAGE = 0.5
SENT_SPLIT = re.compile(r"(?<=[。！？；!?])")


@dataclass
class _Unit:
    passage: int  # index into retrieved
    text: str
    score: float
    pos: int  # order inside the passage
    is_row: bool


ABBREVIATIONS = ("工信商务局", "科工商信局", "工信局", "工信", "高新区", "本级")


def content_of(question: str, aliases: set[str], departments: list[str] | None = None) -> str:
    """The part of the question that names the item: no report or department names, years or
    question words."""
    q = question
    for a in ABBREVIATIONS:
        q = q.replace(a, " ")
    if departments:
        from ingest.index import _jieba

        for w in _jieba().lcut(q):
            if len(w) >= 2 and any(w in d for d in departments):
                q = q.replace(w, " ")
    low = q.lower()
    for en, zh in EN_TERMS.items():
        if en in low:
            q += " " + zh
    for a in sorted(aliases, key=len, reverse=True):
        q = q.replace(a, " ")
    q = re.sub(r"20\d\d\s*年?度?", " ", q)
    q = re.sub(r"[A-Za-z]+", " ", q)
    q = QUESTION_WORDS.sub(" ", q)
    return re.sub(r"\s+", " ", q).strip()


def coverage(content: str, text: str) -> float:
    """Share of the content's characters found in the text as common substrings of 2+ characters."""
    pieces = [p for p in content.split(" ") if p]
    total = sum(len(p) for p in pieces)
    if not total:
        return 0.0
    covered = 0
    for p in pieces:
        i = 0
        while i < len(p):
            j = i + 1
            best = 0
            while j <= len(p) and p[i:j] in text:
                best = j - i
                j += 1
            if best >= 2:
                covered += best
                i += best
            else:
                i += 1
    return covered / total


def _units(retrieved: list[Retrieved]) -> list[_Unit]:
    units: list[_Unit] = []
    for pi, r in enumerate(retrieved):
        if r.chunk.kind == "table":
            lines = r.chunk.text.split("\n")
            for li, line in enumerate(lines[1:], start=1):
                if not line.startswith("表头："):
                    units.append(_Unit(pi, line, 0.0, li, True))
        else:
            pos = 0
            for para in r.chunk.text.split("\n"):
                for s in SENT_SPLIT.split(para):
                    if s.strip():
                        units.append(_Unit(pi, s.strip(), 0.0, pos, False))
                        pos += 1
                pos += 100  # sentences of different paragraphs are never "next" to each other
    return units


def _follow_ups(units: list[_Unit], chosen: _Unit) -> list[_Unit]:
    """The cause sentences right after the amount sentence ("主要变动情况：一是…")."""
    out = []
    for u in units:
        if u.passage == chosen.passage and not u.is_row and chosen.pos < u.pos <= chosen.pos + 2:
            if CAUSE_CUE.search(u.text) or out:
                out.append(u)
                if len(out) >= 2:
                    break
    return out


def _label(row: str) -> str:
    return row.split(" | ")[0]


def answer_extractive(
    question: str, retrieved: list[Retrieved], aliases: set[str], top_k: int, departments: list[str] | None = None
) -> Answer:
    passages = retrieved[: max(top_k * 2, top_k)]
    content = content_of(question, aliases, departments)
    why = bool(WHY.search(question))
    how_much = bool(HOW_MUCH.search(question)) and not why
    units = _units(passages)
    for u in units:
        cov = coverage(content, u.text)
        if u.is_row:
            cov = max(cov, coverage(content, _label(u.text)) * 0.95)
        bonus = 0.0
        if why and CAUSE_CUE.search(u.text):
            bonus += 0.15
        if how_much and AMOUNT.search(u.text) or how_much and u.is_row and re.search(r"\d", u.text):
            bonus += 0.1
        rank_prior = 0.05 / (1 + u.passage)
        u.score = cov + bonus + rank_prior
        u.score_cov = cov  # type: ignore[attr-defined]
    if how_much:  # an amount question is answered by a sentence or row with a number in it
        units = [u for u in units if AMOUNT.search(u.text) or u.is_row and re.search(r"\d", u.text)] or units
    ranked = sorted(units, key=lambda u: -u.score)
    best = ranked[0] if ranked else None
    if best is None or best.score_cov < MIN_COVERAGE or not content:  # type: ignore[attr-defined]
        return _abstain(question, retrieved)
    chosen: list[_Unit] = [best]
    if why:
        chosen += _follow_ups(units, best)
        if not any(CAUSE_CUE.search(u.text) for u in chosen):
            for u in ranked[1:6]:
                if CAUSE_CUE.search(u.text) and u.score_cov >= MIN_COVERAGE * 0.6:  # type: ignore[attr-defined]
                    chosen.append(u)
                    chosen += _follow_ups(units, u)
                    break
    else:
        for u in ranked[1:4]:
            if u.score >= best.score - 0.05 and u.text != best.text and len(chosen) < 3 and u.passage != best.passage:
                chosen.append(u)
    return _compose(question, passages, retrieved, chosen)


def _compose(question: str, passages: list[Retrieved], retrieved: list[Retrieved], chosen: list[_Unit]) -> Answer:
    numbering: dict[int, int] = {}
    citations: list[Citation] = []
    quotes: dict[int, list[str]] = {}
    for u in chosen:
        if u.passage not in numbering:
            numbering[u.passage] = len(numbering) + 1
        quotes.setdefault(u.passage, []).append(u.text)
    parts: list[str] = []
    last_passage = None
    for u in chosen:
        n = numbering[u.passage]
        text = u.text
        if u.is_row:
            c = passages[u.passage].chunk
            unit = f"（单位：{c.unit}）" if c.unit else ""
            text = f"{c.table_title or '表格'}{unit}：{text}"
        if last_passage is None:
            title = passages[u.passage].chunk.title
            parts.append(f"据《{title}》，{text}[{n}]")
        else:
            parts.append(f"{text}[{n}]")
        last_passage = u.passage
    for pi, n in sorted(numbering.items(), key=lambda kv: kv[1]):
        c = passages[pi].chunk
        citations.append(
            Citation(
                n=n,
                doc_id=c.doc_id,
                title=c.title,
                section=c.section,
                page=c.page,
                chunk_id=c.chunk_id,
                kind=c.kind,
                text=c.text,
                quote="……".join(quotes[pi]),
            )
        )
    return Answer(
        question=question,
        answer="".join(_sep(p) for p in parts).strip(),
        mode="extractive",
        abstained=False,
        citations=tuple(citations),
        retrieved=tuple(retrieved),
    )


def _sep(part: str) -> str:
    return part if part.endswith(("。", "]")) else part + "。"


def _abstain(question: str, retrieved: list[Retrieved]) -> Answer:
    return Answer(
        question=question,
        answer="语料中未找到能回答这个问题的内容。下面列出最接近的段落供核对。",
        mode="extractive",
        abstained=True,
        citations=(),
        retrieved=tuple(retrieved),
    )
