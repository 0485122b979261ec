"""Which report is this (ingest/identity.py): one test per trap seen on real documents, the user's
correction surviving re-ingest, `budgetqa docs --json`, and a question about a year not indexed.

Covers read from real PDFs use their first pages only (pdfplumber, as ingest reads them); the traps of
documents not kept here are their cover lines as printed, quoted in issue 22, with the type sizes the
PDF reader gives (the title larger than the text)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.identity import UNKNOWN, read_identity, short_names, undouble
from ingest.identity_store import parse_corrections
from ingest.lines import Line
from ingest.settings import Settings
from tests.conftest import CORPUS, REALDATA, ingested_home, realdata

WIDE = REALDATA.parent / "realdata-wide"


def wide(name: str) -> Path:
    path = WIDE / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the real documents live in ../shared/realdata-wide and are never committed")
    return path


def first_pages(path: Path, n: int = 3) -> tuple[list[Line], str]:
    """The lines of a PDF's first pages as the PDF reader makes them, and their text."""
    import pdfplumber

    from ingest.pdf import read_page

    lines: list[Line] = []
    with pdfplumber.open(path) as pdf:
        for i, page in enumerate(pdf.pages[:n], start=1):
            lines += [ln for _, ln in read_page(page, i)[0]]
    return lines, "\n".join(ln.text for ln in lines if ln.table is None)


def cover(*big: str, body: tuple[str, ...] = (), page_body: int = 2) -> tuple[list[Line], str]:
    """Cover lines in large type on page 1, then running text in body type."""
    lines = [Line(t, 1, meta={"size": 22.0}) for t in big]
    lines += [Line(t, page_body, meta={"size": 12.0}) for t in body]
    return lines, "\n".join(big + body)


def test_a_lab_listed_on_the_cover_is_not_the_body() -> None:
    """西南大学 2023 部门决算: the cover lists a 示范中心 above the university; the body is the name the
    text uses (issue 22: "重庆市实验教学示范中心西南大学2023年度部门决算")."""
    lines, text = cover(
        "重庆市实验教学示范中心",
        "西南大学",
        "2023年度部门决算",
        body=("西南大学是教育部直属重点综合大学。", "西南大学2023年度收入总计…", "西南大学部门决算由本级决算组成。"),
    )
    ident = read_identity(lines, text, "chongqing-xinan-daxue-2023")
    assert ident.body == "西南大学"
    assert ident.kind == "部门决算" and ident.years == (2023,)


def test_a_verb_from_the_previous_page_is_cut_off_the_title() -> None:
    """Harbin 2025: the cover line begins with a verb left from the line before ("推动")."""
    lines, text = cover(
        "推动市人民政府关于哈尔滨市2025年预算执行情况和",
        "2026年预算草案的报告",
        body=("——2026年1月在哈尔滨市第十六届人民代表大会第五次会议上", "各位代表：受市人民政府委托，现将…"),
    )
    ident = read_identity(lines, text, "harbin-2026")
    assert ident.title == "关于哈尔滨市2025年预算执行情况和2026年预算草案的报告"
    assert ident.place == "哈尔滨市" and ident.body == "哈尔滨市人民政府" and ident.level == "市"
    assert ident.years == (2025, 2026) and ident.year == 2026
    assert ident.kind == "政府预算报告"


def test_bold_text_printed_twice_is_one_text() -> None:
    """Ezhou: a bold heading's characters come twice in the text layer ("支安安排排")."""
    assert undouble("安安排排") == "安排"
    assert undouble("22002266年年部部门门预预算算") == "2026年部门预算"
    assert undouble("2026年部门预算") == "2026年部门预算"
    lines, text = cover(
        "支安安排排市人民政府关于鄂州市2025年预算执行情况和2026年预算草案的报告",
        body=("——2026年1月在鄂州市第十届人民代表大会第五次会议上",),
    )
    ident = read_identity(lines, text, "ezhou-2026")
    assert ident.title.startswith("关于鄂州市2025年") and ident.place == "鄂州市"
    assert "安安" not in ident.title and "排排" not in ident.title


def test_a_cover_without_a_body_takes_the_tables_label_lines() -> None:
    """江苏省人民检察院: no body on the cover or in the first heading; the tables' "部门：" lines name it,
    and a sentence's fragment ("考核省辖市检察院") is not the body."""
    lines, text = cover(
        "第三部分 2019年度部门预算情况说明",
        body=(
            "考核省辖市检察院",
            "部门：江苏省人民检察院 单位：万元",
            "部门：江苏省人民检察院 单位：万元",
            "部门：江苏省人民检察院 单位：万元",
        ),
    )
    ident = read_identity(lines, text, "jiangsu-jianchayuan-2019")
    assert ident.body == "江苏省人民检察院" and ident.sure("body")
    assert ident.kind == "部门预算" and ident.years == (2019,)
    assert "省检察院" in ident.short_names


def test_shanghai_unit_budget_takes_its_body_from_the_budget_unit_line() -> None:
    """上海市2026年市级单位预算: the cover names only the city; the body stands in "预算单位：…"."""
    lines, text = first_pages(wide("dept/shanghai-shiji-jiaotongzhiyuan-2026-danwei-yusuan.pdf"))
    ident = read_identity(lines, text, "shanghai-shiji-jiaotongzhiyuan-2026-danwei-yusuan")
    assert ident.title == "上海市2026年市级单位预算"
    assert ident.body == "上海交通职业技术学院"
    assert ident.kind == "单位预算" and ident.level == "单位" and ident.years == (2026,)


def test_a_city_report_whose_title_names_no_city_finds_it_in_its_pages() -> None:
    lines, text = cover(
        "关于2025年全市及市本级财政预算执行情况",
        "与2026年全市及市本级财政预算草案的报告",
        body=("——2026年1月20日在鄂州市第十届人民代表大会第五次会议上", "各位代表："),
    )
    ident = read_identity(lines, text, "report")
    assert ident.place == "鄂州市" and ident.years == (2025, 2026)


def test_a_city_report_that_never_names_its_city_says_unknown() -> None:
    lines, text = cover(
        "关于2025年全市及市本级财政预算执行情况",
        "与2026年全市及市本级财政预算草案的报告",
        body=("各位代表：", "现将全市及市本级2025年预算执行情况和2026年预算草案提请审议。"),
    )
    ident = read_identity(lines, text, "report")
    assert ident.place == UNKNOWN and ident.body == UNKNOWN
    assert not ident.sure("place") and not ident.sure("body")
    assert ident.kind == "政府预算报告" and ident.years == (2025, 2026)


def test_a_final_accounts_report_covers_the_next_years_first_half() -> None:
    """Harbin 2021 决算 with 2022 上半年 (real cover): both years; its own year is the 决算's."""
    lines, text = first_pages(realdata("harbin-2021-shibenji-juesuan-baogao.pdf"), 2)
    ident = read_identity(lines, text, "harbin-2021-shibenji-juesuan-baogao")
    assert ident.years == (2021, 2022) and ident.year == 2021
    assert ident.kind == "政府决算报告"


def test_short_names() -> None:
    assert "清城区工业和信息化局" in short_names("清远市清城区工业和信息化局")
    assert "万里街道" in short_names("上海市普陀区人民政府万里街道办事处")
    assert "省检察院" in short_names("江苏省人民检察院")
    assert "市人民政府" not in short_names("哈尔滨市人民政府")


def test_corrections_are_checked() -> None:
    assert parse_corrections(["body=某某局", "year=2025,2026", "kind=部门预算"]) == {
        "body": "某某局",
        "year": "2025,2026",
        "kind": "部门预算",
    }
    for bad in (["year=明年"], ["colour=red"], ["kind=年报"], ["body"]):
        with pytest.raises(ValueError):
            parse_corrections(bad)


def test_a_correction_survives_reingest_and_docs_json_has_its_fields(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from ui.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    src = folder / "qingcheng-gongxinju-2024-juesuan.txt"
    shutil.copy(CORPUS / src.name, src)
    home = tmp_path / "home"
    settings = ingested_home(home, [folder])
    import os

    os.environ["BUDGETQA_HOME"] = str(settings.home)
    try:
        assert main(["docs", "--set", src.stem, "body=清远市清城区工业和信息化局", "year=2023", "kind=部门决算"]) == 0
        src.write_text(src.read_text(encoding="utf-8") + "\n附注：本报告已更新。\n", encoding="utf-8")
        ingested_home(home, [folder])  # the file changed: read again
        capsys.readouterr()
        assert main(["docs", "--json"]) == 0
        docs = json.loads(capsys.readouterr().out)
        assert main(["docs", "--set", "no-such-report", "year=2023"]) == 2
        assert main(["docs", "--set", src.stem, "year=明年"]) == 2
    finally:
        del os.environ["BUDGETQA_HOME"]
    (doc,) = docs
    fields = {"doc_id", "body", "short_names", "place", "level", "years", "kind", "title", "pages", "tables"}
    assert fields | {"format", "confidence"} <= set(doc)
    assert doc["body"] == "清远市清城区工业和信息化局" and doc["years"] == [2023] and doc["year"] == 2023
    assert doc["kind"] == "部门决算" and isinstance(doc["tables"], int) and doc["format"] == "txt"
    assert doc["confidence"]["body"] == 1.0 and doc["place"] == "清远市清城区"


@pytest.fixture(scope="module")
def wanli_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    files = [realdata(f"putuo-wanli-{y}-bumen-yusuan.pdf") for y in (2023, 2024, 2025)]
    return ingested_home(tmp_path_factory.mktemp("wanli"), files)


def test_a_year_not_indexed_for_the_body_is_said_never_answered(wanli_settings: Settings) -> None:
    """Acceptance a3: 万里街道 has budgets for 2023–2025; a 2026 question names the years indexed and
    marks no figure ✓."""
    from rag.service import QA

    qa = QA(wanli_settings)
    a = qa.ask("万里街道2026年“三公”经费预算是多少？")
    assert a.abstained and not [n for n in a.numbers if n.status == "verified"]
    assert "已收录的万里街道" in a.answer and "2023年、2024年、2025年" in a.answer and "未收录2026年" in a.answer
    ok = qa.ask("万里街道2025年“三公”经费预算是多少？")
    assert not ok.abstained and all(c.doc_id == "putuo-wanli-2025-bumen-yusuan" for c in ok.citations)


def test_a_question_year_matches_either_year_of_a_government_report() -> None:
    """Harbin: a question about 2025's revenue is scoped to the report on 2025's execution and 2026's
    draft (its years), not to the 2021 决算 that merely shares the city's name."""
    from rag.question import report_years

    assert report_years({"doc_id": "harbin-2026", "year": 2026, "years": [2025, 2026]}) == {2025, 2026}
    assert report_years({"doc_id": "harbin-2021", "year": 2021, "years": [2021, 2022]}) & {2025} == set()
    assert report_years({"doc_id": "old", "year": 2024}) == {2024}


# --- traps of the wide corpus (issue 22, stop 22): small real pieces under tests/data/identity ---------
DATA = Path(__file__).parent / "data" / "identity"


def table_lines(name: str) -> tuple[list[Line], str]:
    """A table as the PDF reader read it from a real page (kept as JSON: the PDF's fonts are large)."""
    from ingest.chunking import render_table
    from ingest.model import TableData
    from ingest.structure import events_to_blocks, lines_to_events

    d = json.loads((DATA / name).read_text(encoding="utf-8"))
    table = TableData(d["title"], "万元", tuple(map(tuple, d["header"])), tuple(map(tuple, d["rows"])))
    lines = [Line("", 1, table=table)]
    return lines, events_to_blocks(lines_to_events(lines), render_table)[0]


def test_a_town_report_on_a_portal_takes_the_portals_county() -> None:
    """潭城镇's report on the 平潭综合实验区 portal: the page names only the town; the portal's name
    (meta SiteName "平潭综合实验区党工委管委会") says which 潭城镇."""
    from ingest.readers import read_report

    ident = read_report(DATA / "pingtan-tanchengzhen-2019-head.html").identity
    assert ident.place == "平潭综合实验区潭城镇"
    assert ident.body == "潭城镇人民政府" and ident.years == (2018, 2019)
    # the title set over two paragraphs, the first breaking off on "和", is one title
    assert ident.title == "潭城镇2018年预算执行情况和2019年预算草案的报告"


def test_a_bare_title_place_is_the_portals_place_not_the_session_lines() -> None:
    """ "关于平潭2017年财政预算调整方案的报告": the 人大 line says 平潭县, the portal 平潭综合实验区 — the
    place the title abbreviates is the portal's."""
    from ingest.readers import read_report

    ident = read_report(DATA / "pingtan-2017-yusuan-tiaozheng-head.html").identity
    assert ident.place == "平潭综合实验区" and ident.rules["place"] == "标题简称+网站名称"


def test_a_debt_report_covers_the_year_of_the_balance_it_reports() -> None:
    """ "2024年平潭综合实验区地方政府债务情况" reports 截至2023年底's balance and 2024's repayments."""
    from ingest.readers import read_report

    ident = read_report(DATA / "pingtan-2024-zhaiwu-gongkai.html").identity
    assert ident.years == (2023, 2024) and ident.kind == "债务"


def test_a_tables_label_cell_names_the_body() -> None:
    """首都绿化委员会办公室's 报表 have no cover: its 预算13表 gives "部门名称" and the name in two cells."""
    lines, text = table_lines("shoudulvhuawei-2026-baobiao-p24-table.json")
    ident = read_identity(lines, text, "beijing-shoudulvhuawei-2026-bumen-yusuan-baobiao")
    assert ident.body == "首都绿化委员会办公室"


def test_the_first_unit_after_the_total_is_the_department_not_its_busiest_sub_unit() -> None:
    """广州市政务服务和数据管理局's 项目绩效目标表: its sub-unit's projects name the sub-unit most; the
    table lists the bureau first after 合计. Not sure enough to be shown without a doubt."""
    lines, text = table_lines("guangzhou-zhengshuju-2026-jixiao-mubiao-table.json")
    ident = read_identity(lines, text, "guangdong-guangzhou-zhengshuju-2026-xiangmu-jixiao-mubiao")
    assert ident.body == "广州市政务服务和数据管理局" and not ident.sure("body")
