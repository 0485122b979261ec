"""HTML for the web app. Every piece of document text goes through html.escape: a report that contains
`<script>` or `<img onerror=…>` is shown as those characters, never run."""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from html import escape
from pathlib import Path

from ingest.errors import BadInputError
from ingest.model import Answer, CheckedNumber, Citation
from ingest.readers import REFUSED, SUPPORTED
from ui.takeaway import LABELS, MARKS, agreeing, segments, where

COLORS = {
    "verified": "#1a7f37",
    "rounding": "#1a7f37",
    "mismatch": "#cf222e",
    "quoted": "#57606a",
    "unclear": "#9a6700",
    "unsupported": "#9a6700",
}
ALLOWED_SUFFIXES = tuple(sorted(SUPPORTED))  # every format ingest reads (ingest/readers)


def highlight(text: str, quote: str) -> str:
    """The passage, escaped, with each part of the quote marked."""
    out = escape(text)
    for part in [p for p in quote.split("……") if p.strip()]:
        esc = escape(part.strip())
        if esc and esc in out:
            out = out.replace(esc, f"<mark>{esc}</mark>", 1)
    return out.replace("\n", "<br>")


def number_line(n: CheckedNumber, link: str = "") -> str:
    src = n.source or {}
    bits = [src.get("table", ""), src.get("row", ""), src.get("column", "")]
    loc = " · ".join(escape(str(b)) for b in bits if b)
    if src.get("page"):
        loc += f" · 第{src['page']}页"
        if link:
            loc += f' <a class="open" data-num="{link}" href="#">看原表</a>'
    # the note repeats the location for a verified cell; it matters for a recomputed figure or a mismatch
    show_note = n.note and n.status != "quoted" and (n.status != "verified" or not loc)
    return (
        f'<li class="num num-{n.status}"><span class="mark" style="color:{COLORS[n.status]}">'
        f"{MARKS[n.status]}</span> <b>{escape(n.text)}</b> {LABELS[n.status]}"
        f"{' — ' + loc if loc else ''}{' — ' + escape(n.note) if show_note else ''}</li>"
    )


def citation_block(c: Citation, link: str = "") -> str:
    opener = f' <a class="open" data-cite="{link}" href="#">看原文页</a>' if link else ""
    return (
        f'<div class="source"><div><b>[{c.n}]</b> 《{escape(c.title)}》{opener}</div>'
        f'<div class="where">{escape(where(c.page, c.section, c.ocr, c.locator))}</div>'
        f'<div class="passage">{highlight(c.text, c.quote)}</div></div>'
    )


def sources_html(a: Answer, turn: int | None = None) -> str:
    """The answer's checks and sources; with `turn`, each one opens its page in the viewer."""
    parts = []
    if a.mode == "llm":
        parts.append(f'<p class="mode">大模型答案（{escape(a.backend)}）：引用已校验，数字已核对</p>')
    for note in a.notes:
        parts.append(f'<p class="note" style="color:#cf222e">⚠ {escape(note)}</p>')
    if a.numbers:
        items = "".join(number_line(n, f"{turn}:{i}" if turn is not None else "") for i, n in enumerate(a.numbers))
        parts.append(f"<h4>数字核对</h4><ul>{items}</ul>")
    if a.citations:
        blocks = "".join(citation_block(c, f"{turn}:{c.n}" if turn is not None else "") for c in a.citations)
        parts.append("<h4>引用来源</h4>" + blocks)
    elif a.retrieved:
        parts.append("<h4>最接近的段落</h4>")
        for r in a.retrieved[:5]:
            c = r.chunk
            parts.append(
                f'<div class="source"><div>《{escape(c.title)}》</div>'
                f'<div class="where">{escape(where(c.page, c.section, locator=c.locator))}</div>'
                f'<div class="passage">{escape(c.text[:300])}</div></div>'
            )
    if a.alternative is not None:
        parts.append("<h4>抽取式答案（数字可核对）</h4>" + answer_html(a.alternative) + sources_html(a.alternative))
    return "\n".join(parts)


CITE_MARK = re.compile(r"\[(\d+)\]")


def answer_html(a: Answer, turn: int | None = None) -> str:
    """The answer text, escaped, with each number followed by its check mark; with `turn`, each [n]
    and each mark opens its page."""
    out = []
    for i, (text, n) in enumerate(segments(a)):
        piece = escape(text)
        if turn is not None:
            piece = CITE_MARK.sub(
                lambda m: f'<a class="cite" data-cite="{turn}:{m.group(1)}" href="#">[{m.group(1)}]</a>', piece
            )
        out.append(piece)
        if n is not None:
            attr = f' data-num="{turn}:{i}" href="#"' if turn is not None and (n.source or {}).get("page") else ""
            out.append(
                f'<a class="mark mark-{n.status}"{attr} title="{LABELS[n.status]}" '
                f'style="color:{COLORS[n.status]}">{MARKS[n.status]}</a>'
            )
    return "".join(out).replace("\n", "<br>")


def table_html(rows: tuple[tuple[str, ...], ...]) -> str:
    """A comparison's table (first row the header), escaped."""
    if not rows:
        return ""
    head = "".join(f"<th>{escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f'<table class="compare"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


LEGEND_HTML = (
    '<div class="legend"><b style="color:#1a7f37">✓</b> 与表格同一项一致 · <b style="color:#1a7f37">≈</b> 尾数差 · '
    '<b style="color:#cf222e">✗</b> 与表格不符 · <b style="color:#57606a">❝</b> 原文如此，表格无可比项 · '
    '<b style="color:#9a6700">?</b> 无法确定 — 点 [n] 或标记看原文页</div>'
)


def answer_message(a: Answer, turn: int | None = None, link: str = "") -> str:
    """What the chat shows for one answer, complete in itself: what was understood, the answer with
    its marks, a comparison's table, and (folded) its checks and sources, so that every earlier
    answer keeps its own; `link` the answer's kept id (ui.web_history), for its permalink."""
    parts = []
    if a.asked:
        parts.append(f'<div class="understood">理解为：{escape(a.question)}</div>')
    if a.alternative is not None:
        parts.append("⚠ 数字未通过核对，见下方来源与抽取式答案。<br>")
    parts.append(answer_html(a, turn) + table_html(a.table))
    if turn is not None:
        summary = f"来源 {len(a.citations)} 处 · 数字 {agreeing(a)}/{len(a.numbers)} 与表格一致"
        parts.append(
            f'<details class="sources"><summary>{summary}</summary>{sources_html(a, turn)}</details>'
            f'<div class="tools"><a class="copy" data-copy="{turn}" href="#">复制（纯文本，含来源）</a>'
            + (f' · <a class="permalink" href="?a={escape(link)}" target="_blank">本答案的链接</a>' if link else "")
            + "</div>"
        )
    return "".join(parts)


# --- uploads -------------------------------------------------------------------------------
SAFE = re.compile(r"[^\w\-.]+", flags=re.UNICODE)


def safe_name(name: str) -> str:
    """A file name that cannot leave the uploads folder: last path part only, no leading dots,
    only letters (any script), digits, '-', '_' and '.'."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = SAFE.sub("_", stem).strip("._") or "upload"
    suffix = suffix.lower()
    if "." + suffix in REFUSED:  # a known format with its way out ("请先导出为 PDF")
        raise BadInputError(f"{name}：{REFUSED['.' + suffix]}")
    if "." + suffix not in ALLOWED_SUFFIXES:
        raise BadInputError(
            f"{name}：不能加入「.{suffix or '无后缀'}」文件；能加入的是 PDF、Word（.docx/.doc）、"
            "Excel（.xlsx/.xls）、网页（.html）和文本（.txt/.md）"
        )
    return f"{stem[:120]}.{suffix}"


def unused_path(folder: Path, name: str, data: bytes, taken: set[str] = frozenset()) -> Path:  # type: ignore[assignment]
    """folder/name, or name-1, name-2 … when another file (or another report: `taken` holds the
    doc_ids in use) already has that name; the same bytes uploaded again reuse their file."""
    stem, suffix = name.rsplit(".", 1)
    candidate = folder / name
    i = 0
    while candidate.exists() or candidate.stem in taken:
        if candidate.exists() and candidate.read_bytes() == data:
            return candidate
        i += 1
        candidate = folder / f"{stem}-{i}.{suffix}"
    return candidate


def page_download(image: Path | str | None, title: str, pages: str) -> str | None:
    """The rendered page under a name a journalist can file ("《报告名》第23页.png"): Gradio's download
    button keeps the file's name, and the render cache names files by content hash."""
    if image is None:
        return None
    src = Path(image)
    folder = Path(tempfile.gettempdir()) / "budgetqa-pages" / src.stem  # one folder per render: no clashes
    folder.mkdir(parents=True, exist_ok=True)
    name = SAFE.sub("_", unicodedata.normalize("NFKC", title)).strip("._")[:80] or "report"
    dst = folder / f"《{name}》{SAFE.sub('_', pages).strip('._')}{src.suffix}"
    if not dst.exists():
        shutil.copyfile(src, dst)
    return str(dst)
