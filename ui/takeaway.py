"""Answers to take away: plain text and Markdown with numbered sources and the number marks spelled
out, a conversation as .docx, and result tables (audit, locate, compare) as CSV or XLSX.

What a journalist pastes must stand on its own: every source says report, section, page and the
quoted words; every mark says what it means.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.errors import BadInputError
from ingest.model import Answer, CheckedNumber, Citation, page_label

if TYPE_CHECKING:  # the labels are imported where used: `ask` need not load the audit
    from rag.audit import Finding
    from rag.locate import Hit

MARKS = {"verified": "✓", "rounding": "≈", "mismatch": "✗", "quoted": "❝", "unclear": "?", "unsupported": "?"}
LABELS = {
    "verified": "与表格中同一项一致",
    "rounding": "与表格相差末位（尾数）",
    "mismatch": "与表格中同一项不符",
    "quoted": "原文如此，表格中无可比项",
    "unclear": "无法确定对应哪个单元格",
    "unsupported": "报告中找不到",
}
LEGEND = "数字标记：✓ 与表格中同一项一致 · ≈ 尾数差 · ✗ 与表格不符 · ❝ 原文如此、表格无可比项 · ? 无法确定或找不到"


def where(page: int | None, section: str, ocr: bool = False, locator: str = "") -> str:
    """locator: a sheet and cell range or a Word table, said where the format has no pages."""
    return f"{section or '（无章节）'} · {locator or page_label(page, ocr)}"


def segments(a: Answer) -> list[tuple[str, CheckedNumber | None]]:
    """The answer cut after each checked number: (text up to and including the number, the number),
    then the rest with None. Numbers are found in answer order, each after the one before."""
    out: list[tuple[str, CheckedNumber | None]] = []
    cursor, text = 0, a.answer
    for n in a.numbers:
        at = text.find(n.text, cursor)
        if at < 0:
            continue
        out.append((text[cursor : at + len(n.text)], n))
        cursor = at + len(n.text)
    out.append((text[cursor:], None))
    return out


def spelled(n: CheckedNumber) -> str:
    return f"〔{MARKS[n.status]}{LABELS[n.status]}〕"


def marked_text(a: Answer) -> str:
    """The answer with each checked number followed by its mark, spelled out."""
    return "".join(t + (spelled(n) if n else "") for t, n in segments(a))


def agreeing(a: Answer) -> int:
    """How many of the answer's numbers agree with the table cell of their key (✓ or ≈)."""
    return sum(n.status in ("verified", "rounding") for n in a.numbers)


def number_basis(n: CheckedNumber) -> str:
    src = n.source or {}
    bits = [str(src[k]) for k in ("table", "row", "column") if src.get(k)]
    if src.get("page"):
        bits.append(f"第{src['page']}页")
    basis = " · ".join(bits)
    return basis or n.note


def source_line(c: Citation) -> str:
    return f"[{c.n}] 《{c.title}》 {where(c.page, c.section, c.ocr, c.locator)}"


def answer_text(a: Answer) -> str:
    """Plain text: the question, the answer with marks spelled out, the checks and the sources."""
    lines = [f"问：{a.asked or a.question}"]
    if a.asked:
        lines.append(f"（理解为：{a.question}）")
    lines += [f"⚠ {n}" for n in a.notes]
    lines.append(f"答：{marked_text(a)}")
    if a.table:
        lines += ["", *("\t".join(r) for r in a.table)]
    if a.numbers:
        lines += ["", "数字核对："]
        lines += [f"  {MARKS[n.status]} {n.text}：{LABELS[n.status]}（{number_basis(n)}）" for n in a.numbers]
    if a.citations:
        lines += ["", "来源："]
        for c in a.citations:
            lines += [source_line(c), f"    「{c.quote}」"]
    elif a.abstained:
        lines += ["", "（未作答：报告中没有找到能回答的原文）"]
    lines += ["", f"（{'大模型' if a.mode == 'llm' else '抽取式'}答案，由 budgetqa 生成；{LEGEND}）"]
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")


def answer_markdown(a: Answer, heading: str = "###") -> str:
    parts = [f"{heading} 问：{_md_escape(a.asked or a.question)}"]
    if a.asked:
        parts.append(f"*理解为：{_md_escape(a.question)}*")
    parts += [f"> ⚠ {_md_escape(n)}" for n in a.notes]
    parts.append(_md_escape(marked_text(a)))
    if a.table:
        head, *rows = a.table
        parts.append(
            "\n".join(
                [
                    "| " + " | ".join(_md_escape(c) for c in head) + " |",
                    "|" + "---|" * len(head),
                    *("| " + " | ".join(_md_escape(c) for c in r) + " |" for r in rows),
                ]
            )
        )
    if a.numbers:
        parts.append(
            "**数字核对**\n\n"
            + "\n".join(
                f"- {MARKS[n.status]} {_md_escape(n.text)}：{LABELS[n.status]}（{_md_escape(number_basis(n))}）"
                for n in a.numbers
            )
        )
    if a.citations:
        parts.append(
            "**来源**\n\n"
            + "\n".join(
                f"{c.n}. {_md_escape(source_line(c)[len(f'[{c.n}] ') :])}\n   > {_md_escape(c.quote)}"
                for c in a.citations
            )
        )
    return "\n\n".join(parts)


def conversation_markdown(answers: Sequence[Answer], title: str = "budgetqa 问答记录") -> str:
    body = "\n\n---\n\n".join(answer_markdown(a) for a in answers)
    return f"# {title}\n\n{body}\n\n---\n\n{LEGEND}\n"


def conversation_docx(answers: Sequence[Answer], path: Path, title: str = "budgetqa 问答记录") -> Path:
    """The conversation as a Word document: each answer, its checks and its numbered sources."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    colors = {"verified": "1A7F37", "rounding": "1A7F37", "mismatch": "CF222E"}
    doc = Document()
    doc.add_heading(title, level=1)
    for a in answers:
        doc.add_heading(f"问：{a.asked or a.question}", level=2)
        if a.asked:
            doc.add_paragraph(f"理解为：{a.question}").italic = True
        for note in a.notes:
            doc.add_paragraph(f"⚠ {note}")
        p = doc.add_paragraph()
        for text, n in segments(a):
            p.add_run(text)
            if n is not None:
                run = p.add_run(spelled(n))
                run.font.size = Pt(9)
                run.font.color.rgb = RGBColor.from_string(colors.get(n.status, "57606A"))
        if a.table:
            head, *rows = a.table
            t = doc.add_table(rows=1 + len(rows), cols=len(head))
            t.style = "Table Grid"
            for i, row in enumerate(a.table):
                for j, cell in enumerate(row):
                    t.cell(i, j).text = cell
        if a.numbers:
            doc.add_paragraph("数字核对")
            for n in a.numbers:
                doc.add_paragraph(
                    f"{MARKS[n.status]} {n.text}：{LABELS[n.status]}（{number_basis(n)}）", style="List Bullet"
                )
        if a.citations:
            doc.add_paragraph("来源")
            for c in a.citations:
                doc.add_paragraph(f"{source_line(c)}\n「{c.quote}」", style="List Number")
    doc.add_paragraph(LEGEND)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


AUDIT_HEADER = ("报告", "级别", "类型", "说明", "应为", "实为", "页", "位置", "原文")
LOCATE_HEADER = ("报告", "页", "位置", "上下文")


def audit_table(doc_id: str, findings: Sequence[Finding]) -> list[list[object]]:
    """Audit findings as rows of AUDIT_HEADER, in Chinese, each finding once."""
    from rag.audit import KIND_LABELS, SEVERITY_LABELS

    rows, seen = [], set()
    for f in findings:
        row = [
            doc_id,
            SEVERITY_LABELS.get(f.severity, f.severity),
            KIND_LABELS.get(f.kind, f.kind),
            f.message,
            f.expected,
            f.found,
            f.page or "",
            f.section,
            f.quote,
        ]
        if tuple(map(str, row)) not in seen:
            seen.add(tuple(map(str, row)))
            rows.append(row)
    return rows


def locate_table(hits: Sequence[Hit]) -> list[list[object]]:
    """Locate hits as rows of LOCATE_HEADER, each place once."""
    rows, seen = [], set()
    for h in hits:
        if h.kind == "table":
            place = f"{h.table} · {h.row} · {h.column or '（列未对齐）'}"
        else:
            place = h.section
        row = [h.doc_id, h.page or "", place, h.context]
        if tuple(map(str, row)) not in seen:
            seen.add(tuple(map(str, row)))
            rows.append(row)
    return rows


def write_rows(header: Sequence[str], rows: Sequence[Sequence[object]], path: Path) -> Path:
    """A result table as CSV (UTF-8 with BOM, so Excel shows the Chinese) or XLSX, by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BadInputError(f"{path}: export to .csv or .xlsx (got {suffix or 'no suffix'})")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        return path
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([v if isinstance(v, int | float) else ("" if v is None else str(v)) for v in r])
    for col in ws.columns:  # wide enough to read, wrapped beyond that
        width = min(60, max(8, *(len(str(c.value or "")) * 2 for c in col[:200])))
        ws.column_dimensions[col[0].column_letter].width = width
        for c in col:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    wb.save(str(path))
    return path


def compare_summary(c: Any) -> str:
    """A comparison's header, counting what its rows show: cells of a table, figures only a sentence states."""
    in_table = sum(1 for r in c.rows if r.fact is not None)
    in_text = sum(1 for r in c.rows if r.fact is None and r.told is not None)
    said = f"，{in_text} 个只在文字中写明" if in_text else ""
    return f"「{c.request.describe()}」：{len(c.rows)} 个报告中，{in_table} 个的表格中有这一项{said}（单位：万元）"
