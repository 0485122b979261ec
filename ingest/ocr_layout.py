"""An OCR'd page (glyphs + rulings) → the same lines and tables as a text page.

No table-structure model ships offline, and these reports' tables are ruled: the printed lines give
the grid. A cell is merged with its left neighbour where no vertical line separates them in that row,
and with the cell above where no horizontal line does — exactly how pdfplumber reports merged cells
(text in the first slot, None in the covered ones), so header paths and facts come out the same.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from ingest.cells import join_letter_spaced, table_from_cells
from ingest.lines import PAGE_NUMBER, Line, band_lines
from ingest.model import OCR_DOUBT_BELOW, OcrDoubt, PageBox
from ingest.ocr import Glyph, OcrPage, Ruling

TOL = 3.0  # points: lines printed as one are this close after scanning
END_TOL = 1.5  # a column line ends on a row line (character strokes stop short of it)
MARGIN = 0.07
FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?%?")


@dataclass(frozen=True)
class Grid:
    ys: tuple[float, ...]  # row boundaries, top to bottom
    xs: tuple[float, ...]  # column boundaries, left to right
    rulings: tuple[Ruling, ...]

    def contains(self, g: Glyph) -> bool:
        cx, cy = (g.x0 + g.x1) / 2, (g.top + g.bottom) / 2
        return self.xs[0] <= cx <= self.xs[-1] and self.ys[0] <= cy <= self.ys[-1]

    def slot(self, g: Glyph) -> tuple[int, int]:
        cx, cy = (g.x0 + g.x1) / 2, (g.top + g.bottom) / 2
        i = min(max(bisect_right(self.ys, cy) - 1, 0), len(self.ys) - 2)
        j = min(max(bisect_right(self.xs, cx) - 1, 0), len(self.xs) - 2)
        return i, j

    def _ruled(self, horizontal: bool, at: float, mid: float) -> bool:
        return any(
            r.horizontal == horizontal and abs(r.at - at) <= TOL and r.a - TOL <= mid <= r.b + TOL for r in self.rulings
        )

    def anchor(self, i: int, j: int) -> tuple[int, int]:
        """The top-left slot of the merged cell that covers slot (i, j)."""
        while True:
            moved = False
            while j > 0 and not self._ruled(False, self.xs[j], (self.ys[i] + self.ys[i + 1]) / 2):
                j, moved = j - 1, True
            while i > 0 and not self._ruled(True, self.ys[i], (self.xs[j] + self.xs[j + 1]) / 2):
                i, moved = i - 1, True
            if not moved:
                return i, j


def _cluster(values: list[float]) -> tuple[float, ...]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= TOL:
            out[-1].append(v)
        else:
            out.append([v])
    return tuple(round(sum(c) / len(c), 1) for c in out)


def _touch(h: Ruling, v: Ruling) -> bool:
    return h.a - TOL <= v.at <= h.b + TOL and v.a - TOL <= h.at <= v.b + TOL


def _ends_on(v: Ruling, hs: list[Ruling]) -> bool:
    return all(any(abs(h.at - end) <= END_TOL and h.a - TOL <= v.at <= h.b + TOL for h in hs) for end in (v.a, v.b))


def table_rulings(rulings: tuple[Ruling, ...]) -> tuple[list[Ruling], list[Ruling]]:
    """The lines that form tables. A column line runs from one row line to another; a row line is
    crossed by at least two column lines. Strokes of large characters ("一", "丨") that survived the
    morphological filter do neither."""
    hs = [r for r in rulings if r.horizontal]
    vs = [v for v in rulings if not v.horizontal and _ends_on(v, hs)]
    hs = [h for h in hs if sum(_touch(h, v) for v in vs) >= 2]
    vs = [v for v in vs if _ends_on(v, hs)]
    return hs, vs


def grids(rulings: tuple[Ruling, ...]) -> list[Grid]:
    """Tables: groups of horizontal and vertical lines that cross each other, with at least two of each."""
    hs, vs = table_rulings(rulings)
    parent = list(range(len(hs) + len(vs)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, h in enumerate(hs):
        for b, v in enumerate(vs):
            if _touch(h, v):
                parent[find(a)] = find(len(hs) + b)
    groups: dict[int, list[Ruling]] = {}
    for k, r in enumerate(hs + vs):
        groups.setdefault(find(k), []).append(r)
    out = []
    for members in groups.values():
        ys = _cluster([r.at for r in members if r.horizontal])
        xs = _cluster([r.at for r in members if not r.horizontal])
        if len(ys) >= 2 and len(xs) >= 2:
            out.append(Grid(ys, xs, tuple(members)))
    return sorted(out, key=lambda g: g.ys[0])


def _text(glyphs: list[Glyph]) -> tuple[str, list[float]]:
    """Glyphs of one line, left to right → text (a space where the gap is wide) and one score per char."""
    chars: list[str] = []
    scores: list[float] = []
    prev = None
    for g in sorted(glyphs, key=lambda g: g.x0):
        if prev is not None and g.x0 - prev.x1 > 0.45 * max(g.bottom - g.top, prev.bottom - prev.top, 1):
            chars.append(" ")
            scores.append(1.0)
        chars.append(g.text)
        scores.extend([g.score] * len(g.text))
        prev = g
    return "".join(chars), scores


def _lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs → lines, in order of their vertical centres."""
    ordered = sorted(glyphs, key=lambda g: ((g.top + g.bottom) / 2, g.x0))
    return [ln["items"] for ln in band_lines(ordered, lambda g: g.top, lambda g: g.bottom, tolerance=0.2, lookback=3)]


def _cell_text(glyphs: list[Glyph]) -> tuple[str, float]:
    if not glyphs:
        return "", 1.0
    parts = [_text(line)[0] for line in _lines(glyphs)]
    return "\n".join(parts), min(g.score for g in glyphs)


def _table(grid: Grid, glyphs: list[Glyph], page: int, ordinal: int) -> tuple[Line | None, list[PageBox]]:
    n_rows, n_cols = len(grid.ys) - 1, len(grid.xs) - 1
    slots: dict[tuple[int, int], list[Glyph]] = {}
    for g in glyphs:
        slots.setdefault(grid.anchor(*grid.slot(g)), []).append(g)
    anchors = {(i, j): grid.anchor(i, j) for i in range(n_rows) for j in range(n_cols)}
    cells: list[list[str | None]] = []
    scores: list[list[float]] = []
    places: list[PageBox] = []
    for i in range(n_rows):
        row: list[str | None] = []
        row_scores: list[float] = []
        for j in range(n_cols):
            if anchors[(i, j)] != (i, j):
                row.append(None)
                row_scores.append(1.0)
                continue
            text, score = _cell_text(slots.get((i, j), []))
            row.append(text)
            row_scores.append(score)
            if text:
                covered = [k for k, a in anchors.items() if a == (i, j)]
                bottom = grid.ys[max(k[0] for k in covered) + 1]
                right = grid.xs[max(k[1] for k in covered) + 1]
                places.append(
                    PageBox(
                        page,
                        "cell",
                        join_letter_spaced(" ".join(text.split())),
                        grid.xs[j],
                        grid.ys[i],
                        right,
                        bottom,
                        group=f"t{ordinal}r{i}",
                    )
                )
        cells.append(row)
        scores.append(row_scores)
    data = table_from_cells(cells, scores)
    return (Line("", page, table=data) if data is not None else None), places


def _doubts(text: str, scores: list[float], page: int) -> list[OcrDoubt]:
    out = []
    for m in FIGURE.finditer(text):
        low = min(scores[m.start() : m.end()], default=1.0)
        if low < OCR_DOUBT_BELOW:
            out.append(OcrDoubt(page, m.group(), round(low, 3)))
    return out


def page_items(page: OcrPage) -> tuple[list[tuple[float, Line]], list[PageBox], list[OcrDoubt]]:
    """(top, Line) items in reading order — text lines and whole tables, as the text layer's reader
    gives them — with every line's and cell's place, and the figures read with low confidence."""
    glyphs = [g for run in page.runs for g in run if g.text.strip()]
    items: list[tuple[float, Line]] = []
    places: list[PageBox] = []
    doubts: list[OcrDoubt] = []
    free = glyphs
    for k, grid in enumerate(grids(page.rulings)):
        inside = [g for g in free if grid.contains(g)]
        free = [g for g in free if not grid.contains(g)]
        line, cell_places = _table(grid, inside, page.page, k)
        if line is None:  # a ruled box that holds no table (a frame): its text is read as lines
            free += inside
            continue
        places += cell_places
        items.append((grid.ys[0], line))
        assert line.table is not None
        for r, row in enumerate(line.table.rows):
            for c, cell in enumerate(row):
                if line.table.score(r, c) < OCR_DOUBT_BELOW and FIGURE.search(cell):
                    doubts.append(OcrDoubt(page.page, cell, round(line.table.score(r, c), 3)))
    for line_glyphs in _lines(free):
        raw, scores = _text(line_glyphs)
        text = join_letter_spaced(raw.strip())
        if not text:
            continue
        top = min(g.top for g in line_glyphs)
        bottom = max(g.bottom for g in line_glyphs)
        in_margin = top > page.height * (1 - MARGIN) or bottom < page.height * MARGIN
        if in_margin and (PAGE_NUMBER.match(text) or text.isdigit()):
            continue
        heights = sorted(g.bottom - g.top for g in line_glyphs)
        # a recognised box is ~1.25 × the type size; the text layer's sizes are type sizes
        meta = {"margin": in_margin, "size": round(heights[len(heights) // 2] / 1.25, 1), "ocr": True}
        items.append((top, Line(text, page.page, meta=meta)))
        x0, x1 = min(g.x0 for g in line_glyphs), max(g.x1 for g in line_glyphs)
        places.append(PageBox(page.page, "line", text, x0, top, x1, bottom))
        doubts += _doubts(raw, scores, page.page)
    items.sort(key=lambda it: it[0])
    return items, places, doubts
