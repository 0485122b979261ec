"""Scanned PDFs read offline: scans are made from real PDFs (rendered to images, no text layer; one at
150 dpi, tilted and noisy) and what OCR reads is compared with the original's text layer — running text,
every numeric table cell, and the number check's marks on the 收入支出决算总表."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, realdata

from eval.scans import make_scan, ocr_accuracy
from ingest.errors import DocumentError
from ingest.facts import report_facts, table_facts
from ingest.model import Report, TableData
from ingest.ocr import ocr_missing
from ingest.pdf import parse_pdf
from rag.numbers import KeyedFacts, check_numbers

pytestmark = pytest.mark.skipif(bool(ocr_missing()), reason="the OCR extra is not installed (pip install -e '.[ocr]')")

JUESUAN = "putuo-caizhengju-2024-juesuan.pdf"
PAGES = [6, 7, 21]  # 收入支出决算总表 over two pages, and the 说明 page whose sentences state its figures
TOTALS_PAGES = {6, 7}


@pytest.fixture(scope="module")
def original() -> Report:
    return parse_pdf(realdata(JUESUAN))


@pytest.fixture(scope="module")
def clean_scan(tmp_path_factory: pytest.TempPathFactory) -> Report:
    out = make_scan(realdata(JUESUAN), tmp_path_factory.mktemp("scan") / "clean-scan.pdf", PAGES, dpi=200)
    return parse_pdf(out)


@pytest.fixture(scope="module")
def rough_scan(tmp_path_factory: pytest.TempPathFactory) -> Report:
    out = make_scan(
        realdata(JUESUAN), tmp_path_factory.mktemp("scan") / "rough-scan.pdf", PAGES, dpi=150, rotate=0.7, noise=10
    )
    return parse_pdf(out)


@pytest.mark.parametrize("which", ["clean_scan", "rough_scan"])
def test_scan_reads_like_the_text_layer(which: str, original: Report, request: pytest.FixtureRequest) -> None:
    scan: Report = request.getfixturevalue(which)
    assert scan.ocr_pages == (1, 2, 3)
    acc = ocr_accuracy(original, scan, PAGES)
    assert acc.chars > 500 and acc.numeric_cells > 10
    assert acc.char_accuracy >= 0.98, (acc.char_accuracy, acc.char_errors)
    assert acc.numeric_accuracy >= 0.99, acc.wrong_cells


def _totals_facts(report: Report, pages: set[int]) -> KeyedFacts:
    facts = [f for f in report_facts(report) if f.page in pages]
    return KeyedFacts.of(report.doc_id, report.title, report.kind, report.year, facts)


def _explanation(report: Report) -> str:
    return "\n".join(b.text for b in report.blocks if b.kind == "paragraph" and b.page == 21)


@pytest.mark.parametrize("which", ["clean_scan", "rough_scan"])
def test_number_check_on_scanned_totals_gives_the_same_marks(
    which: str, original: Report, request: pytest.FixtureRequest
) -> None:
    scan: Report = request.getfixturevalue(which)
    scanned_facts = [f for f in report_facts(scan) if f.page in {1, 2}]
    # the scan is keyed as the original: same keys, same values
    want = {(f.key, f.value) for f in report_facts(original) if f.page in TOTALS_PAGES and f.key}
    got = {(f.key, f.value) for f in scanned_facts if f.key}
    assert want and got == want
    sentences = _explanation(original)
    marks = [n.status for n in check_numbers(sentences, [_totals_facts(original, TOTALS_PAGES)], [sentences])]
    scanned = [n.status for n in check_numbers(sentences, [_totals_facts(scan, {1, 2})], [sentences])]
    assert marks.count("verified") >= 3
    assert scanned == marks


def test_a_cell_read_unsurely_never_decides(clean_scan: Report) -> None:
    """The same sentence against the scan's table where one cell's OCR confidence is low: that figure
    gets "?" with the reason, never ✓ (nor ✗ when the sentence is changed)."""
    blocks = list(clean_scan.blocks)
    for i, b in enumerate(blocks):
        t = b.table
        if t is not None and b.page == 1:
            low = tuple(
                tuple(0.42 if "2,940.05" == c else s for c, s in zip(r, sc, strict=True))
                for r, sc in zip(t.rows, t.scores, strict=True)
            )
            blocks[i] = replace(b, table=replace(t, scores=low))
    doubtful = replace(clean_scan, blocks=tuple(blocks))
    kf = _totals_facts(doubtful, {1, 2})
    assert any(f.doubt for f in kf.facts)
    for text in ("本年支出合计2940.05万元。", "本年支出合计2950.00万元。"):
        (n,) = check_numbers(text, [kf], [text])
        assert n.status == "unclear" and "OCR识读置信度0.42" in n.note, n


def test_a_figure_of_scanned_text_read_unsurely_is_unclear(original: Report) -> None:
    kf = replace(_totals_facts(original, TOTALS_PAGES), doubts=frozenset({"2950.00"}))
    (n,) = check_numbers("本年支出合计2950.00万元。", [kf], ["本年支出合计2950.00万元。"])
    assert n.status == "unclear" and "OCR" in n.note
    (sure,) = check_numbers("本年支出合计2950.00万元。", [replace(kf, doubts=frozenset())], [""])
    assert sure.status == "mismatch"  # without the doubt the same figure is a real contradiction


def test_table_scores_follow_rows_over_a_page_break() -> None:
    first = TableData("t", "万元", (("项目", "金额"),), (("甲", "1.00"),), scores=((1.0, 0.5),))
    more = TableData("", "", (("项目", "金额"),), (("乙", "2.00"),), scores=((1.0, 0.3),))
    merged = first.continued_by(more)
    assert merged.rows == (("甲", "1.00"), ("乙", "2.00"))
    assert merged.score(1, 1) == 0.3 and merged.score(0, 1) == 0.5
    facts = table_facts("d", "t1", merged, 1)
    assert {f.value: bool(f.doubt) for f in facts} == {f.value: True for f in facts}


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A text PDF with scanned pages inside: page 4 as text, the 总表 (6, 7) scanned, page 21 as text."""
    from pypdf import PdfReader, PdfWriter

    folder = tmp_path_factory.mktemp("mixed")
    scan = PdfReader(make_scan(realdata(JUESUAN), folder / "scan.pdf", [6, 7]))
    text = PdfReader(realdata(JUESUAN))
    writer = PdfWriter()
    for page in (text.pages[3], scan.pages[0], scan.pages[1], text.pages[20]):
        writer.add_page(page)
    out = folder / "mixed-juesuan.pdf"
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def test_scanned_pages_inside_a_text_pdf_are_read_not_lost(mixed_pdf: Path) -> None:
    seen: list[tuple[int, int]] = []
    report = parse_pdf(mixed_pdf, lambda i, n: seen.append((i, n)))
    assert report.ocr_pages == (2, 3) and not report.unread_pages
    assert len(seen) == 4 and seen[-1] == (4, 4)  # progress per page, OCR'd pages included
    assert any(b.table is not None and b.page == 2 for b in report.blocks)
    assert any("2,946.25" in f.source for f in report_facts(report) if f.page == 2)
    assert "第一部分" in report.text  # the text pages are read as before


def test_without_the_extra_a_scan_is_refused_and_mixed_pages_listed(
    mixed_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.pdf

    monkeypatch.setattr(ingest.pdf, "ocr_missing", lambda: "the OCR extra is not installed")
    report = parse_pdf(mixed_pdf)
    assert report.unread_pages == (2, 3) and not report.ocr_pages
    scan = make_scan(realdata(JUESUAN), tmp_path / "all-scan.pdf", [4])
    with pytest.raises(DocumentError, match=r"\.\[ocr\]"):
        parse_pdf(scan)


def test_ingest_and_ask_cite_the_scanned_page(mixed_pdf: Path, tmp_path: Path) -> None:
    env = {"BUDGETQA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "ui.cli"]
    done = subprocess.run([*cli, "ingest", str(mixed_pdf)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "2 页没有可用的文字层（扫描件或文字编码损坏），已由 OCR 识读（第 2, 3 页）" in done.stderr
    asked = subprocess.run(
        [*cli, "ask", "收入支出决算总表中本年收入合计是多少？", "--format", "md"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert asked.returncode == 0, asked.stderr
    assert "2,946.25" in asked.stdout or "2946.25" in asked.stdout
    assert "· OCR" in asked.stdout, asked.stdout


def test_which_pages_need_ocr() -> None:
    """A scan under a junk text layer is read by OCR; a text page, or a page with a small logo, is not."""
    from types import SimpleNamespace

    from ingest.ocr import page_needs_ocr

    def page(chars: str, image_share: float) -> SimpleNamespace:
        image = {"x0": 0, "x1": 600 * image_share, "top": 0, "bottom": 800}
        return SimpleNamespace(
            width=600, height=800, images=[image] if image_share else [], curves=[], chars=[{"text": c} for c in chars]
        )

    assert page_needs_ocr(page("", 1.0))
    assert page_needs_ocr(
        page("\ue001\ue002\ue003\ue004§¤\ue005\ue006\ue007\ue008\ue009\ue00a收", 1.0)
    )  # a scanner's failed OCR
    assert not page_needs_ocr(
        page("上海市普陀区财政局2024年度部门决算收入支出决算总表", 1.0)
    )  # a scan with a good text layer
    assert not page_needs_ocr(page("上海市普陀区财政局2024年度部门决算", 0.1))
    assert not page_needs_ocr(page("", 0.0))  # a blank page
