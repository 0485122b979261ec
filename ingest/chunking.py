"""Blocks → chunks: paragraphs grouped within a section, one chunk per table (long ones split by rows)."""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.model import Block, Chunk, Report, TableData, content_hash

MIN_CHARS = 300
MAX_CHARS = 600
TABLE_MAX_CHARS = 1500
NOTE = re.compile(r"^(注|说明|备注)\s*[：:0-9１-９]")
SENTENCE_END = re.compile(r"(?<=[。！？；!?])")


def table_heading(t: TableData) -> str:
    bits = [t.title or "表格"]
    if t.code:
        bits.append(f"（{t.code}）")
    if t.unit:
        bits.append(f"  单位：{t.unit}")
    return "".join(bits)


def render_row(cells: tuple[str, ...]) -> str:
    return " | ".join(c if c else "" for c in cells).rstrip(" |")


def render_table(t: TableData) -> str:
    lines = [table_heading(t)]
    lines += ["表头：" + render_row(h) for h in t.header]
    lines += [render_row(r) for r in t.rows]
    return "\n".join(lines)


def split_sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s]


def _split_long(text: str) -> list[str]:
    """A paragraph over MAX_CHARS is cut at sentence ends, never inside a sentence."""
    out: list[str] = []
    cur = ""
    for s in split_sentences(text):
        if cur and len(cur) + len(s) > MAX_CHARS:
            out.append(cur)
            cur = ""
        cur += s
    if cur:
        out.append(cur)
    return out


def _table_pieces(t: TableData) -> list[str]:
    head = [table_heading(t)] + ["表头：" + render_row(h) for h in t.header]
    head_len = sum(len(h) + 1 for h in head)
    pieces: list[str] = []
    rows: list[str] = []
    size = head_len
    for r in t.rows:
        line = render_row(r)
        if rows and size + len(line) + 1 > TABLE_MAX_CHARS:
            pieces.append("\n".join(head + rows))
            rows, size = [], head_len
        rows.append(line)
        size += len(line) + 1
    pieces.append("\n".join(head + rows))
    return pieces


def chunk_report(report: Report) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}

    def add(kind: str, text: str, block: Block, end: int, table: TableData | None = None) -> None:
        section = " > ".join(block.section_path)
        key = content_hash(report.doc_id, section, text)
        n = seen.get(key, 0)
        seen[key] = n + 1
        chunks.append(
            Chunk(
                # everything the vector and the BM25 tokens are made from (embed_text, the table's title):
                # a report whose title is read anew gets new ids, so nothing kept is stale
                chunk_id=content_hash(report.doc_id, report.title, section, table.title if table else "", text, str(n)),
                doc_id=report.doc_id,
                title=report.title,
                section=section,
                page=block.page,
                kind="table" if kind == "table" else "text",
                text=text,
                start=block.start,
                end=end,
                year=report.year,
                report_kind=report.kind,
                table_title=table.title if table else "",
                unit=table.unit if table else "",
                locator=block.locator,
            )
        )

    group: list[Block] = []

    def flush() -> None:
        if not group:
            return
        text = "\n".join(b.text for b in group)
        add("text", text, group[0], group[-1].end)
        group.clear()

    last_table = False
    for block in report.blocks:
        if last_table and NOTE.match(block.text) and chunks and chunks[-1].kind == "table":
            # "注：本表反映…" belongs to the table above it, not to a passage of its own.
            prev = chunks.pop()
            chunks.append(replace(prev, text=prev.text + "\n" + block.text, end=block.end))
            continue
        last_table = block.kind == "table"
        if block.kind == "table" and block.table is not None:
            flush()
            for piece in _table_pieces(block.table):
                add("table", piece, block, block.end, block.table)
            continue
        if group and group[-1].section_path != block.section_path:
            flush()
        if len(block.text) > MAX_CHARS:
            flush()
            for piece in _split_long(block.text):
                add("text", piece, block, block.end)
            continue
        size = sum(len(b.text) + 1 for b in group)
        if group and size >= MIN_CHARS or group and size + len(block.text) > MAX_CHARS:
            flush()
        group.append(block)
    flush()
    return chunks
