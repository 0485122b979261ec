"""A reader per format, all giving the same document model: tables with header rows and units, facts,
and citations that name what the format has (sheet and cell range, Word table, heading). Real files of
../shared/realdata-wide where the corpus has them; the DOCX and the percentage sheet are built here from
the text and figures of real report pages (the corpus has no DOCX)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from ingest.chunking import chunk_report
from ingest.errors import DocumentError
from ingest.facts import report_facts
from ingest.model import Citation
from ingest.pipeline import collect_files
from ingest.readers import read_report, skip_reason
from ingest.readers.numfmt import format_number

WIDE = Path(__file__).resolve().parents[2] / "shared" / "realdata-wide"
if not WIDE.exists():  # a checkout outside /work (a worktree) reads the shared corpus where it lives
    WIDE = Path("/work/shared/realdata-wide")


def wide(name: str) -> Path:
    path = WIDE / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return path


def fact(report, row: str, column: str):  # noqa: ANN001, ANN201
    found = [f for f in report_facts(report) if f.row_label == row and f.column == column]
    assert found, f"no fact {row} / {column}"
    return found[0]


# --- DOCX ----------------------------------------------------------------------------------------
# 上海市普陀区司法局2026年部门预算, pages 21–22: the 三公 table (merged header cells) and its explanation.
SANGONG_ROWS = [
    ["“三公”经费预算数", None, None, None, None, None, "机关运行经费预算数"],
    ["合计", "因公出国(境)费", "公务接待费", "公务用车购置及运行费", None, None, None],
    [None, None, None, "小计", "购置费", "运行费", None],
    ["10.81", "0", "0.83", "9.98", "0", "9.98", "217.83"],
]


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph("上海市普陀区司法局2026年部门预算", style="Title")
    d.add_heading("其他相关情况说明", level=1)
    d.add_heading("一、2026年“三公”经费预算情况说明", level=2)
    d.add_paragraph("2026年“三公”经费预算数为10.81万元，比2025年预算持平。其中：")
    d.add_paragraph("（三）公务接待费0.83万元。与2025年预算持平，主要原因是公务接待无变化。")
    d.add_paragraph("2026年部门“三公”经费和机关运行经费预算表")
    d.add_paragraph("编制部门：上海市普陀区司法局 单位:万元")
    table = d.add_table(rows=4, cols=7)
    for r, row in enumerate(SANGONG_ROWS):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value
    table.cell(0, 0).merge(table.cell(0, 5))  # gridSpan
    table.cell(0, 6).merge(table.cell(2, 6))  # vMerge
    table.cell(1, 3).merge(table.cell(1, 5))
    for c in (0, 1, 2):
        table.cell(1, c).merge(table.cell(2, c))
    d.save(str(path))
    return path


def test_docx_word_table_with_merged_cells_headings_and_unit(tmp_path: Path) -> None:
    report = read_report(make_docx(tmp_path / "putuo-sifaju-2026-sangong.docx"))
    assert report.source_format == "docx"
    assert report.year == 2026
    (block,) = report.tables
    t = block.table
    assert t.title == "2026年部门“三公”经费和机关运行经费预算表"
    assert t.unit == "万元"
    assert len(t.header) == 3 and t.rows == (("10.81", "0", "0.83", "9.98", "0", "9.98", "217.83"),)
    # a merged header cell names every column it spans; vMerge covers the rows below it
    assert t.header[1][3:6] == ("公务用车购置及运行费",) * 3
    assert t.header[2][6] == "机关运行经费预算数"
    f = fact(report, "", "“三公”经费预算数 > 公务用车购置及运行费 > 运行费")
    assert f.value == Decimal("9.98") and f.unit == "万元"
    assert fact(report, "", "“三公”经费预算数 > 公务接待费").value == Decimal("0.83")
    # headings from Word styles become sections; citations name the Word table or the heading
    assert any(s.title == "一、2026年“三公”经费预算情况说明" for s in report.sections)
    assert block.locator == "Word 表1"
    para = next(b for b in report.blocks if "公务接待费0.83万元" in b.text)
    assert para.locator == "Word 文档 · 一、2026年“三公”经费预算情况说明"
    # each Word paragraph stays a paragraph (no joining of a line without a full stop to the next)
    assert "2026年“三公”经费预算数为10.81万元，比2025年预算持平。其中：" in report.text
    chunks = chunk_report(report)
    assert {c.locator for c in chunks if c.kind == "table"} == {"Word 表1"}


# --- XLSX / XLS ----------------------------------------------------------------------------------
def test_xlsx_sheet_is_a_table_with_title_code_unit_and_cell_range() -> None:
    report = read_report(wide("gov/hunan-hengyang-2025-fubiao.xlsx"))
    assert report.source_format == "xlsx"
    (block,) = report.tables
    t = block.table
    assert (t.title, t.code, t.unit) == ("2025年全市地方政府一般债务限额和余额情况表", "表16", "亿元")
    assert t.header == (("地区", "债务限额", "债务余额"),)
    assert t.rows == (("衡阳市", "510.66", "504.62"),)  # "0.00_ " shows two decimals
    assert block.page == 1 and block.locator == "工作表「Sheet2」A1:C5"
    assert fact(report, "衡阳市", "债务限额").value == Decimal("510.66")


def test_xlsx_hidden_helper_columns_left_out_merged_headers_spread() -> None:
    report = read_report(wide("gov/xinjiang-2021-zhaiwu-gongkai.xlsx"))
    (block,) = report.tables
    t = block.table
    # hidden columns A:B and rows 1-3 hold the portal's query codes, not the published table
    assert "DEBT_T_XXGK" not in report.text and "VALID#" not in report.text
    assert t.code == "附件1-3" and t.unit == "亿元"
    assert t.header[0][1:4] == ("政府债务限额总额",) * 3
    assert t.rows[0][:2] == ("自治区（不含兵团）", "7,167.86")  # "#,##0.00": thousands separator as shown
    f = fact(report, "自治区（不含兵团）", "政府债务限额总额 > 一般债务")
    assert f.value == Decimal("4147.93")
    assert block.locator.startswith("工作表「1」C")


def test_xlsx_percentages_and_print_area(tmp_path: Path) -> None:
    """Percentages stored as fractions come out as the sheet shows them; a column outside the print
    area is a helper column. Figures from the 和田地区 2025 决算 (地区本级政府性基金/社保基金)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "本级预算执行"
    ws["A1"] = "2025年地区本级预算执行情况表"
    ws.merge_cells("A1:C1")
    ws["C2"] = "单位：亿元"
    ws.append(["项目", "决算数", "为年初预算的%"])
    ws.append(["政府性基金预算支出", 7.56, 1.164])
    ws.append(["社会保险基金预算收入", 75.88, 1.0239])
    ws["D4"] = "helper"
    for r in (4, 5):
        ws.cell(r, 2).number_format = "#,##0.00"
        ws.cell(r, 3).number_format = "0.0%" if r == 4 else "0.00%"
    ws.print_area = "A1:C5"
    path = tmp_path / "hetian-2025-zhixing.xlsx"
    wb.save(path)
    report = read_report(path)
    (block,) = report.tables
    assert block.table.rows == (("政府性基金预算支出", "7.56", "116.4%"), ("社会保险基金预算收入", "75.88", "102.39%"))
    assert "helper" not in report.text
    f = fact(report, "社会保险基金预算收入", "为年初预算的%")
    assert f.value == Decimal("102.39") and f.unit == "%"
    assert block.locator == "工作表「本级预算执行」A1:C5"


def test_number_formats_as_shown() -> None:
    assert format_number(0.1762, "0.00%") == "17.62%"
    assert format_number(-1.5, "0.00_);[Red]\\(0.00\\)") == "(1.50)"
    assert format_number(0, '_ * #,##0.00_ ;_ * \\-#,##0.00_ ;_ * "-"??_ ;_ @_ ') == "-"
    assert format_number(182506.58999999997, "General") == "182506.59"
    assert format_number(2.675, "0.00") == "2.68"  # half away from zero, as Excel rounds


def test_xls_two_sheets_each_a_table() -> None:
    report = read_report(wide("gov/xizang-changdu-2024-zhaiwu-gongkai.xls"))
    assert report.source_format == "xls"
    first, second = report.tables
    assert first.table.title == "2024年末昌都市地方政府债务限额及余额决算情况表" and first.table.unit == "万元"
    assert first.page == 1 and second.page == 2
    assert first.locator == "工作表「2024年政府债务限额及余额情况表」A2:G19"
    assert first.table.header[1][4] == "小计"  # "小 计" letter-spaced in the sheet
    assert first.table.header[0][1:4] == ("地方政府债务限额",) * 3
    # a General cell holding 182506.58999999997 shows 182506.59
    assert fact(report, "昌都市", "地方政府债务限额 > 合计").value == Decimal("182506.59")
    assert second.table.rows[0][5] == "2024-08-26"  # a date cell, not its serial number


# --- DOC -----------------------------------------------------------------------------------------
def test_doc_read_through_catdoc() -> None:
    path = wide("gov/xinjiang-hetian-2025-juesuan-gongkai.doc")
    if not shutil.which("catdoc") and not shutil.which("antiword"):
        pytest.skip("catdoc is not installed (apt-get install catdoc)")
    report = read_report(path)
    assert report.source_format == "doc"
    assert "HYPERLINK" not in report.text and "PAGEREF" not in report.text  # Word field codes removed
    t = next(b.table for b in report.tables if b.table.title == "2025年度和田地区一般公共预算对下转移支付表")
    assert t.unit == "万元" and t.header[0][:3] == ("项目", "合计决算数", "皮山县")
    assert fact(report, "返还性支出", "合计决算数").value == Decimal("21951")


def test_doc_without_catdoc_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "report.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(DocumentError) as err:
        read_report(path)
    assert ".doc" in err.value.reason and "catdoc" in err.value.reason and "\n" not in err.value.reason


def test_ofd_and_wps_refused_naming_the_format(tmp_path: Path) -> None:
    for name, words in (("a.ofd", "不支持的格式 .ofd：请先导出为 PDF"), ("b.wps", ".wps")):
        path = tmp_path / name
        path.write_bytes(b"x")
        with pytest.raises(DocumentError) as err:
            read_report(path)
        assert words in err.value.reason


# --- HTML ----------------------------------------------------------------------------------------
def test_html_word_export_numbers_split_over_spans_are_joined() -> None:
    report = read_report(wide("gov/fujian-pingtan-2016-yusuan-baogao.html"))
    assert report.source_format == "html"
    assert "专项置换债券共137.05亿元" in report.text
    assert "2015年末全区政府债务余额342.81亿元" in report.text
    assert report.year == 2015 or report.year == 2016


def test_html_article_body_without_site_menus() -> None:
    gov = read_report(wide("gov/hainan-haikou-2026-yusuan-baogao.html"))
    assert "受市政府委托" in gov.text
    assert "政务服务" not in gov.text and "关怀版" not in gov.text
    dept = read_report(wide("dept/yunnan-kunming-shenjiju-huizong-2026-bumen-yusuan.html"))
    assert "昆明市审计局（汇总）2026年部门预算编制说明" in dept.text
    assert "公务员邮箱" not in dept.text and "市政府常务会议" not in dept.text
    para = next(b for b in dept.blocks if b.kind == "paragraph" and b.section_path)
    assert para.locator.startswith("网页 · ")


def test_html_table_rowspan_colspan(tmp_path: Path) -> None:
    """An HTML table of a portal page (figures of 平潭2016年末政府债务情况) with spanned header cells."""
    page = (
        "<html><body><div class='nav'><a href='/'>首页</a><a href='/x'>政务公开</a></div>"
        "<div class='article'><p>截至2016年底，平潭综合实验区政府性债务余额预计执行数为336.88亿元，较2015年底增加"
        "17.55亿元，增长5.5%。</p><p>平潭综合实验区2016年末政府债务情况表</p><p>单位：亿元</p>"
        "<table><tr><td rowspan='2'>项目</td><td colspan='2'>2016年末</td></tr>"
        "<tr><td>余额</td><td>比上年增加</td></tr>"
        "<tr><td>政府性债务</td><td>336.<span>88</span></td><td>17.55</td></tr></table></div></body></html>"
    )
    path = tmp_path / "pingtan-2016-zhaiwu.html"
    path.write_text(page, encoding="utf-8")
    report = read_report(path)
    (block,) = report.tables
    assert block.table.title == "平潭综合实验区2016年末政府债务情况表" and block.table.unit == "亿元"
    assert block.table.header == (("项目", "2016年末", "2016年末"), ("项目", "余额", "比上年增加"))
    assert fact(report, "政府性债务", "2016年末 > 余额").value == Decimal("336.88")
    assert "首页" not in report.text
    assert block.locator == "网页表1"


# --- PDF exported from Excel ---------------------------------------------------------------------
def test_table_only_pdf_is_read(tmp_path: Path) -> None:
    """Regression: a PDF whose whole text layer sits inside tables (WPS 表格 export, 12 pages of one
    绩效目标表) was refused as "no readable text … even for OCR": only text outside tables was counted.
    Four of its real pages reproduce it."""
    import pypdf

    source = pypdf.PdfReader(str(wide("dept/guangdong-guangzhou-zhengshuju-2026-xiangmu-jixiao-mubiao.pdf")))
    writer = pypdf.PdfWriter()
    for i in (1, 2, 3, 4):
        writer.add_page(source.pages[i])
    path = tmp_path / "guangzhou-zhengshuju-2026-jixiao-mubiao-p2-5.pdf"
    writer.write(str(path))
    report = read_report(path)
    assert report.source_format == "pdf" and report.pages == 4
    (block,) = report.tables  # one table over four pages, its repeated header dropped
    assert block.table.header[0][:3] == ("项目名称（资金使用单位）", "总计", "财政拨款")
    assert fact(report, "政务服务工作项目", "总计").value == Decimal("240.51")
    assert block.locator == "" and block.page == 1  # a PDF is cited by its page


# --- folders, citations ---------------------------------------------------------------------------
def test_folder_lists_every_file_not_read_with_its_reason(tmp_path: Path) -> None:
    shutil.copy(wide("gov/hunan-hengyang-2025-fubiao.xlsx"), tmp_path / "hengyang.xlsx")
    (tmp_path / "chart.gif").write_bytes(b"GIF89a")
    (tmp_path / "SOURCES.tsv").write_text("file\n", encoding="utf-8")
    (tmp_path / "scan.ofd").write_bytes(b"x")
    skipped: list[tuple[str, str]] = []
    files, errors = collect_files([tmp_path], skipped)
    assert [f.name for f in files] == ["hengyang.xlsx"] and not errors
    reasons = {Path(p).name: why for p, why in skipped}
    assert reasons["chart.gif"].startswith("不支持的格式 .gif")
    assert reasons["SOURCES.tsv"] == "不是报告文件"
    assert reasons["scan.ofd"] == "不支持的格式 .ofd：请先导出为 PDF"
    assert skip_reason(tmp_path / "hengyang.xlsx") == ""


def test_citation_names_the_locator_instead_of_a_page() -> None:
    c = Citation(1, "d", "t", "s", 1, "c1", "table", "x", "x")
    assert c.where == "第1页"
    assert replace(c, locator="工作表「Sheet2」A1:C5").where == "工作表「Sheet2」A1:C5"


def test_catalog_stores_locator_and_source_format(tmp_path: Path) -> None:
    from ingest.catalog import Catalog

    report = read_report(wide("gov/hunan-hengyang-2025-fubiao.xlsx"))
    chunks = chunk_report(report)
    cat = Catalog(tmp_path / "catalog.db")
    cat.swap_report(report, chunks, ([[c.text]] for c in chunks))
    stored = cat.doc_chunks(report.doc_id)
    assert [c.locator for c in stored] == [c.locator for c in chunks] and stored[0].locator
    assert cat.reports()[0]["source_format"] == "xlsx"
    cat.close()


def test_html_publisher_rides_on_the_first_line() -> None:
    """The portal's name (meta SiteName; else the <title>'s last part when it names an organ) is kept
    for the identity reader; a column name ("政府预算公开") is not a publisher."""
    from ingest.readers.html import page_items

    page = Path(__file__).parent / "data" / "identity" / "pingtan-tanchengzhen-2019-head.html"
    _, items = page_items(page.read_bytes(), str(page))
    assert next(items) == ("publisher", "平潭综合实验区党工委管委会")
    report = read_report(page)
    assert report.identity is not None and report.identity.place == "平潭综合实验区潭城镇"
    assert "平潭综合实验区党工委管委会" not in report.text  # metadata, not the article's text
    title_only = wide("gov/henan-zhumadian-2019-yusuan-baogao.html")  # no SiteName: "…的报告-驻马店人大"
    _, items = page_items(title_only.read_bytes(), str(title_only))
    assert next(items) == ("publisher", "驻马店人大")
