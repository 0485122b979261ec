"""A list question ("…发现了哪些主要问题？", "…有哪些改进措施？") answered by the section that lists the
answer: the report's heading that names what is asked ("三、存在的主要问题"), quoted item by item
("一是…。二是…。") with each item's passage cited — not one sentence that happens to share its words."""

from __future__ import annotations

import re

from ingest.model import Answer, Chunk, Citation, Retrieved
from rag.extractive import coverage

LIST_QUESTION = re.compile(r"哪些|哪几|有什么|列举|what (?:are|were) the|which (?:problems|measures)", re.I)
NUMBERING = re.compile(
    r"^[\s　]*(?:[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[、.．])\s*"
)
ITEM = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]|[（(]?[一二三四五六七八九十\d]+[)）、.．])"
)
SENTENCE_END = re.compile(r"(?<=[。！？；])")
MIN_HEADING_COVER = 0.75  # share of the asked words the heading holds
MAX_ITEMS = 8
MAX_PARAGRAPH = 240


def heading_core(section: str) -> str:
    """The last heading of a section path without its numbering: "三、存在的主要问题" → "存在的主要问题"."""
    last = section.split(" > ")[-1] if section else ""
    return NUMBERING.sub("", last).strip()


def asked_noun(question: str) -> str:
    """What a list question asks for, the words after 哪些/哪几/什么: "…发现了哪些主要问题？" → "主要问题"."""
    m = re.search(r"(?:哪些|哪几[个项条方面]*|有什么)([\u4e00-\u9fff]{2,12})", question)
    return m.group(1) if m else ""


def matching_section(question: str, chunks: list[Chunk]) -> str:
    """The section path whose own heading holds what the question asks for ("存在的主要问题" for
    "主要问题"), "" when no heading does well enough; the shortest such heading wins."""
    noun = asked_noun(question)
    if not noun:
        return ""
    best, score = "", 0.0
    for c in chunks:
        core = heading_core(c.section)
        if len(core) < 3 or c.kind != "text":
            continue
        s = coverage(noun, core) - 0.001 * len(core)
        if s > score + 1e-9:
            best, score = c.section, s
    return best if score >= MIN_HEADING_COVER else ""


def items_of(text: str) -> list[str]:
    """The section's items: of each enumerated paragraph its first sentence ("一是部分绩效指标未达标。"),
    of an unnumbered paragraph the paragraph (cut at a sentence end)."""
    out: list[str] = []
    for para in (p.strip() for p in text.split("\n")):
        if not para:
            continue
        sentences = [s for s in SENTENCE_END.split(para) if s.strip()]
        if ITEM.match(para):
            out.append(sentences[0].strip())
        else:
            kept = ""
            for s in sentences:
                if kept and len(kept) + len(s) > MAX_PARAGRAPH:
                    break
                kept += s
            out.append(kept.strip())
    return out


def section_answer(question: str, chunks: list[Chunk], retrieved: list[Retrieved]) -> Answer | None:
    """The answer quoting the section the question names, or None (not a list question, no such heading)."""
    if not LIST_QUESTION.search(question):
        return None
    section = matching_section(question, chunks)
    if not section:
        return None
    own = [c for c in chunks if c.section == section and c.kind == "text"]
    parts: list[str] = []
    citations: list[Citation] = []
    for c in own:
        items = [i for i in items_of(c.text) if i]
        if not items or len(parts) >= MAX_ITEMS:
            break
        items = items[: MAX_ITEMS - len(parts)]
        n = len(citations) + 1
        citations.append(
            Citation(n, c.doc_id, c.title, c.section, c.page, c.chunk_id, c.kind, c.text, "……".join(items))
        )
        parts += [f"{i}[{n}]" if k == len(items) - 1 else i for k, i in enumerate(items)]
    if not parts:
        return None
    lead = f"据《{own[0].title}》“{heading_core(section)}”一节："
    shown = [Retrieved(c, 0.0) for c in own[: len(citations)]]
    return Answer(
        question=question,
        answer=lead + "".join(p if p.endswith(("。", "]", "；")) else p + "。" for p in parts),
        mode="extractive",
        abstained=False,
        citations=tuple(citations),
        retrieved=tuple(shown + [r for r in retrieved if r.chunk.section != section]),
    )
