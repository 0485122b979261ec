"""The document model: typed values passed from ingest/ to rag/ to eval/ and ui/.

Report -> Section -> Block (paragraph | table) -> Chunk; Table -> Fact; Answer -> Citation, CheckedNumber.
Everything here is plain data (frozen where it can be) so it crosses module boundaries by value.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from ingest.identity import Identity
from ingest.keys import FigureKey

ReportKind = Literal["决算", "预算", "绩效自评", "other"]
BlockKind = Literal["paragraph", "table"]
ChunkKind = Literal["text", "table"]
# verified: the table's figure for this very item · rounding: differs in the last printed place (尾数) ·
# mismatch: the same item's cell says otherwise · quoted: in a cited passage, no comparable cell ·
# unclear: several cells could be meant, or the figure can't be read with confidence · unsupported: nowhere
NumberStatus = Literal["verified", "rounding", "mismatch", "quoted", "unclear", "unsupported"]
# An OCR'd character or word read with less confidence than this is a doubt: a figure resting on it is
# never marked ✓ or ✗ ("?" with the reason). PP-OCR scores clean 200-dpi digits at 0.98–1.0.
OCR_DOUBT_BELOW = 0.9


def page_label(page: int | None, ocr: bool = False) -> str:
    """ "第5页", or "第5页 · OCR" for a page read from a scan."""
    if not page:
        return "页码不详"
    return f"第{page}页 · OCR" if ocr else f"第{page}页"


def content_hash(*parts: str, length: int = 16) -> str:
    """Stable id from content: the same input always gives the same id, across runs and machines."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:length]


@dataclass(frozen=True)
class Section:
    """A heading in the report; `path` holds the titles from the top level down to this one."""

    title: str
    level: int
    path: tuple[str, ...]
    page: int | None = None

    @property
    def path_text(self) -> str:
        return " > ".join(self.path)


@dataclass(frozen=True)
class TableData:
    """A table as found: title, unit, header rows and cell rows (strings, as printed)."""

    title: str
    unit: str
    header: tuple[tuple[str, ...], ...]
    rows: tuple[tuple[str, ...], ...]
    code: str = ""  # 公开01表 and the like
    aligned: bool = True  # False when the source lost empty cells (pdftotext layout)
    scores: tuple[tuple[float, ...], ...] = ()  # OCR: each body cell's reading confidence, rows as `rows`
    locator: str = ""  # formats without pages: where the table stands ("工作表「表1」A1:F40")

    @property
    def width(self) -> int:
        return max((len(r) for r in self.header + self.rows), default=0)

    def continued_by(self, more: TableData) -> TableData:
        """This table with the rows of its continuation on the next page; header rows printed again
        there are dropped."""
        extra = [(r, ()) for r in more.header if r not in self.header]
        extra += [(r, more.scores[i] if more.scores else ()) for i, r in enumerate(more.rows) if r not in self.header]
        rows = self.rows + tuple(r for r, _ in extra)
        if not (self.scores or more.scores):
            return replace(self, rows=rows)
        # a row read from the text layer is certain; keep the scores aligned with the rows
        own = self.scores or tuple((1.0,) * len(r) for r in self.rows)
        scores = own + tuple(s or (1.0,) * len(r) for r, s in extra)
        return replace(self, rows=rows, scores=scores)

    def score(self, row: int, col: int) -> float:
        """How surely the cell was read: 1.0 from a text layer, the OCR confidence from a scan."""
        if not self.scores or row >= len(self.scores) or col >= len(self.scores[row]):
            return 1.0
        return self.scores[row][col]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str
    section_path: tuple[str, ...]
    page: int | None
    start: int  # character offsets into Report.text
    end: int
    table: TableData | None = None
    locator: str = ""  # formats without pages: sheet and cell range, or the Word table / heading


@dataclass(frozen=True)
class PageBox:
    """Where a printed line or a table cell stands on a PDF page, in points from the top-left corner
    (pdfplumber's coordinates). A cell's `group` names its row ("t2r5": the page's 3rd table, row 6)."""

    page: int
    kind: Literal["line", "cell"]
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    group: str = ""


@dataclass(frozen=True)
class OcrDoubt:
    """A figure in OCR'd running text read with low confidence ("2,940.05" at 0.62 on page 5)."""

    page: int
    text: str
    score: float


@dataclass(frozen=True)
class Report:
    doc_id: str
    title: str
    year: int | None
    department: str
    kind: ReportKind
    path: str
    sha256: str
    text: str  # the normalized text every offset points into
    encoding: str
    pages: int
    sections: tuple[Section, ...]
    blocks: tuple[Block, ...]
    boxes: tuple[PageBox, ...] = ()  # PDF only: every line and table cell with its place on the page
    ocr_pages: tuple[int, ...] = ()  # pages read by OCR from a scan
    unread_pages: tuple[int, ...] = ()  # scanned pages that could not be read (no OCR extra)
    doubts: tuple[OcrDoubt, ...] = ()  # figures in OCR'd text read with low confidence
    source_format: str = ""  # pdf / docx / xlsx / xls / doc / html / txt: the reader that read it
    identity: Identity | None = None  # which report it is, as read (ingest/identity.py); None: read before it

    @property
    def tables(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "table"]


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str  # report title
    section: str  # "第三部分 > 一、… > （一）…"
    page: int | None
    kind: ChunkKind
    text: str
    start: int
    end: int
    year: int | None = None
    report_kind: str = "other"
    table_title: str = ""
    unit: str = ""
    locator: str = ""  # the block's locator: what a citation names where pages mean nothing

    def embed_text(self) -> str:
        """What the embedder and BM25 see: the passage with where it stands, so
        "清城区…政府性基金" finds the right report's passage even when the passage omits its name."""
        return f"{self.title}\n{self.section}\n{self.text}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fact:
    """One table cell with its row and column labels."""

    doc_id: str
    table_id: str
    table_title: str
    row_label: str
    code: str
    column: str  # column path, "本年支出 > 基本支出"
    value: Decimal
    unit: str  # as printed: 万元 / 元 / % / ""
    value_yuan: Decimal | None  # normalized to 元 for money
    page: int | None
    source: str  # the row as printed
    flagged: bool = False  # numbers kept, columns not aligned with confidence
    key: FigureKey | None = None  # what the cell means; None when the table can't be keyed
    doubt: str = ""  # why the cell's reading is not sure (OCR confidence); such a cell never decides ✓/✗


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    section: str
    page: int | None
    chunk_id: str
    kind: str
    text: str
    quote: str
    ocr: bool = False  # the page was read by OCR from a scan
    locator: str = ""  # sheet and cell range, or Word table / heading: said instead of a page

    @property
    def where(self) -> str:
        return self.locator or page_label(self.page, self.ocr)


@dataclass(frozen=True)
class CheckedNumber:
    text: str
    value: Decimal
    unit: str
    status: NumberStatus
    source: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Retrieved:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    mode: Literal["extractive", "llm"]
    abstained: bool
    citations: tuple[Citation, ...]
    retrieved: tuple[Retrieved, ...]
    numbers: tuple[CheckedNumber, ...] = ()
    notes: tuple[str, ...] = ()
    alternative: Answer | None = None  # the extractive answer, offered beside an LLM answer that failed a check
    backend: str = ""  # which LLM answered, when mode is "llm"
    table: tuple[tuple[str, ...], ...] = ()  # a comparison's table: header row, then one row per report
    asked: str = ""  # a follow-up as typed, when `question` is it completed from the conversation
