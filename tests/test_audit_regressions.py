"""False 错误 once raised on real reports, each kept as its real page (sentences and table rows as read from
../shared/realdata-wide), beside a copy with a real error planted so that each test can fail."""

from __future__ import annotations

from decimal import Decimal

from ingest.model import Chunk, Fact
from ingest.statements import derived_figures, read_figures
from rag.audit import another_years_table
from rag.audit_tables import code_sum_findings, cross_table_findings, empty_table_findings, missing_table_findings
from rag.audit_text import direction_findings, year_findings


def _chunk(text: str, page: int = 1) -> Chunk:
    return Chunk("c", "d", "t", "", page, "text", text, 0, len(text))


def _fact(table: str, title: str, label: str, code: str, column: str, value: str, page: int) -> Fact:
    v = Decimal(value)
    return Fact("d", table, title, label, code, column, v, "元", v, page, f"{code} {label} {value}")


# liaoning-chaoyang-2026-yusuan-baogao p.2: "为预算的90.2%" of 支出 states no budget amount; the 191197万元
# before the "；" is a 一般债务转贷收入, and "动用预算稳定调节基金" names a fund, not a stage
CHAOYANG = (
    "全市一般公共预算收入903071万元，为预算（指调整后预算数，下同）的101.2%，比2024年决算数（下同）增长3%，"
    "加上上级补助收入2277009万元、上年结余收入755875万元、调入一般公共预算资金66545万元、动用预算稳定调节基金"
    "7790万元、一般债务转贷收入191197万元，总收入为4201487万元；全市一般公共预算支出3013397万元，为预算的90.2%，"
    "下降4.3%。"
)


def test_completion_rate_whose_budget_is_not_stated_is_not_checked() -> None:
    assert all(str(d.stated) != "90.2" for d in derived_figures(CHAOYANG))
    roles = {f.mention.text: f.role for f in read_figures(CHAOYANG)}
    assert roles["7790万元"] != "预算" and roles["191197万元"] != "预算"
    # the same list item with its budget stated: recomputed, and a wrong rate found
    planted = "全市一般公共预算支出3013397万元，为调整预算3340796万元的80.2%。"
    d = next(d for d in derived_figures(planted) if str(d.stated) == "80.2")
    assert d.status == "mismatch" and d.certain and round(d.computed, 1) == Decimal("90.2")


# tianjin-2026-yusuan-baogao p.3: figures set below their words, read out of place ("收入 亿元,完成预算1 2221.7
# 101.1%"); the full stop is an ASCII "."
TIANJIN = (
    "()市级收支.一般公共预算收入 亿元,完成预算2 812.8 99.9%,比上年增长0.9%.加上中央转移支付净补助763.9亿元、"
    "一般债务收入135.3亿元、上年结余102.1亿元、调入资金等34.1亿元,减去市对区转移支付净补助518.1亿元,预算总收入为"
    "1330.1亿元.一般公共预算支出1172.6亿元,完成调整预算90.3%,按可比口径增长4%,加上再融资一般债券还本支出33.5亿元,"
    "预算总支出1206.1亿元.预算总收入减去预算总支出,当年结余124亿元,全部为结转项目资金.()转移支付.中央对我市转移支付"
    "净补助 亿元,比上3 763.9年减少119.7亿元,主要是增发国债等政策退出。"
)


def test_a_passage_with_figures_out_of_place_gives_no_error() -> None:
    assert not [d for d in derived_figures(TIANJIN) if d.status == "mismatch" and d.certain]
    assert not [f for f in direction_findings([_chunk(TIANJIN, 3)]) if f.severity == "error"]
    # the ASCII full stop ends a sentence: "增长0.9%" is not recomputed from amounts of the next sentences
    assert len({f.sentence for f in read_figures(TIANJIN)}) >= 5


def test_a_clean_sentence_with_an_ascii_full_stop_is_still_checked() -> None:
    s = "一般公共预算收入812.8亿元,比上年增加7.2亿元,增长9.9%.加上中央转移支付净补助763.9亿元."
    d = next(d for d in derived_figures(s) if str(d.stated) == "9.9")
    assert d.status == "mismatch" and d.certain


def test_a_five_digit_year_in_interleaved_text_is_a_hint() -> None:
    """neimenggu-huhehaote-2026-yusuan-baogao p.1: the cover's date threaded with a watermark's digits."""
    line = "——20262年022月510日在呼和浩特市第十六届人民2代0表2大6会第五次会议上"
    found = year_findings([_chunk(line)], 2026, "预算")
    assert [f.severity for f in found] == ["info"]
    typo = year_findings(
        [_chunk("——2026年2月5日在呼和浩特市第十六届人民代表大会上；20262年预算安排如下")], 2026, "预算"
    )
    assert [f.severity for f in typo] == ["error"]


# shaanxi-xian-shiwei-xuanchuanbu-2021-zonghe-yusuan p.4: the change is the 预算收入's, not the 0万元 fund's
XIAN = (
    "2021年本部门预算收入25859.6万元，其中一般公共预算拨款收入25859.6万元、政府性基金拨款收入0万元，"
    "2021年本部门预算收入较上年增加19359.12万元，主要原因是2021年专项资金列入部门预算的项目金额比2020年增加。"
)


def test_a_change_naming_its_item_belongs_to_it_not_to_a_zero_part() -> None:
    assert not [f for f in direction_findings([_chunk(XIAN, 4)]) if f.kind == "zero_total"]
    planted = "2021年本部门预算收入0万元，较上年增加19359.12万元，主要原因是专项资金列入部门预算。"
    assert [f.severity for f in direction_findings([_chunk(planted, 4)]) if f.kind == "zero_total"] == ["error"]


def _xian_p24(with_continuation_page: bool) -> list[Fact]:
    """表5 p.24 ends inside 208 社会保障和就业支出; its 20899 row is on p.25, read as a table of its own."""
    t = "一般公共预算支出明细表"
    facts = [
        _fact("p24", t, "社会保障和就业支出", "208", "合计", "2190776.93", 24),
        _fact("p24", t, "行政事业单位养老支出", "20805", "合计", "2174966.44", 24),
    ]
    if with_continuation_page:
        facts.append(_fact("p25", "", "其他社会保障和就业支出", "20899", "合计", "15810.49", 25))
    return facts


def test_a_class_cut_by_the_page_end_is_a_hint() -> None:
    [f] = code_sum_findings(_xian_p24(True))
    assert f.severity == "info" and "下一页" in f.why and "表中为2190776.93" in f.arithmetic
    [g] = code_sum_findings(_xian_p24(False))  # no page after it: the table is whole, the sum is wrong
    assert g.severity == "error"


def test_tables_of_two_stages_or_without_a_title_are_not_compared() -> None:
    """shandong-qingdao-2026-fubiao: "年市级一般公共预算支出执行情况表" (2025) against "…草案表" (2026), their
    year lost; shaanxi-xian 2021: an untitled 基本支出 table against the 收支总表."""
    run = "年市级一般公共预算支出执行情况表"
    draft = "年市级一般公共预算支出草案表"
    facts = [
        _fact("a", run, "教育支出", "", "合计", "497253", 42),
        _fact("b", draft, "教育支出", "", "合计", "467895", 76),
        _fact("c", "2021年部门综合预算收支总表", "一般公共服务支出", "201", "合计", "48615794.92", 16),
        _fact("d", "", "一般公共服务支出", "201", "合计", "17651794.92", 28),
    ]
    assert cross_table_findings(facts) == []
    facts.append(_fact("e", "年市级一般公共预算支出执行情况表（续）", "教育支出", "", "合计", "497000", 43))
    assert [f.severity for f in cross_table_findings(facts)] == ["error"]


# shaanxi-xian-shiwei-xuanchuanbu-2021-zonghe-yusuan p.32 (表9, every cell 0.00) and its narrative's note
FUND_TABLE = {
    "table_id": "t9",
    "title": "2021年部门综合预算政府性基金收支表（不含上年结转）",
    "page": 32,
    "rows": [
        ["一、政府性基金拨款", "0.00", "一、科学技术支出", "0.00"],
        ["", "", "二、文化旅游体育与传媒支出", "0.00"],
    ],
}


def test_an_empty_fund_table_noted_in_the_narrative_is_not_an_error() -> None:
    note = "（四）政府性基金预算支出情况。\n本部门无当年政府性基金预算收支，并已公开空表。"
    assert empty_table_findings([FUND_TABLE], note) == []
    [f] = empty_table_findings([FUND_TABLE], "（四）政府性基金预算支出情况。\n详见表9。")
    assert f.severity == "error"


PUTUO_BUDGET = [
    "2026年部门财务收支预算总表",
    "2026年部门收入预算总表",
    "2026年部门支出预算总表",
    "2026年部门财政拨款收支预算总表",
    "2026年部门一般公共预算支出功能分类预算表",
    "2026年部门政府性基金预算支出功能分类预算表",
    "2026年部门国有资本经营预算支出功能分类预算表",
    "2026年部门一般公共预算基本支出部门预算经济分类预算表",
    "2026年部门三公经费和机关运行经费预算表",
]


def test_the_standard_tables_of_a_department_budget() -> None:
    """putuo-sifaju-2026-bumen-yusuan's nine tables are the set; one taken out is named as a 提示."""
    assert missing_table_findings(PUTUO_BUDGET, "", "预算") == ([], "")
    found, why = missing_table_findings([t for t in PUTUO_BUDGET if "收入预算总表" not in t], "", "预算")
    assert not why and [(f.expected, f.severity) for f in found] == [("收入总表", "info")]
    # jiangsu-suzhou-kexuejishuju-2026-danwei-yusuan: the 收入总表 is there, its title read as "公开02表"
    found, _ = missing_table_findings(["公开02表" if "收入预算总表" in t else t for t in PUTUO_BUDGET], "", "预算")
    assert "公开02表" in found[0].why


def test_a_table_of_another_year_is_not_the_sentence_s_cell() -> None:
    """liaoning-chaoyang-2026-yusuan-baogao p.11 "…一般债务转贷支出158230万元…市本级一般公共预算支出拟安排585871万元"
    was held against p.69 "市本级2025年一般公共预算收支平衡情况表" (快报数 121548万元) of the year before."""
    table = "市本级2025年一般公共预算收支平衡情况表"
    assert another_years_table(table, 2026, [])
    assert not another_years_table(table, 2026, [2025])  # "2025年…执行…": the sentence names the table's year
    assert not another_years_table("市本级2026年一般公共预算支出预算表", 2026, [])
