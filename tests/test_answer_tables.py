"""Answers from the tables and headings of government reports, on real pages of the wide corpus: a row read
under its column headers, a heading that states an amount, a sentence a misread heading split, a report
found by the pinyin of its file name."""

from __future__ import annotations

from ingest.model import Chunk, Retrieved
from rag.cellwords import column_names, row_in_words
from rag.extractive import answer_extractive, coverage
from rag.names import spelled_bodies, spelled_in

# guangxi-fangchenggang-2026-fubiao p.74, 2025年政府债务限额及余额情况表 (万元), as the chunk holds it
DEBT_HEADS = [
    "行政区划 | 2025年政府债务限额（预计数） |  |  | 2025年政府债务余额（预计数）",
    " |  | 一般债务 | 专项债务 |  | 一般债务 | 专项债务",
    "公式 | A=B+C | B | C | D=E+F | E | F",
]
DEBT_ROWS = [
    "防城港市 | 3,886,765 | 1,565,465 | 2,321,300 | 3,755,864 | 1,467,815 | 2,288,049",
    "市本级 | 2,360,781 | 935,075 | 1,425,706 | 2,283,627 | 876,121 | 1,407,506",
    "防城区 | 407,726 | 154,994 | 252,732 | 377,124 | 133,669 | 243,455",
]


def chunk(text: str, *, kind: str = "text", section: str = "", table_title: str = "", doc: str = "d") -> Chunk:
    return Chunk(f"c{hash(text) % 9999}", doc, "报告", section, 1, kind, text, 0, len(text), 2025, "预算",
                 table_title, "万元" if kind == "table" else "")  # fmt: skip


def test_merged_header_cells_name_their_sub_columns_and_formula_rows_name_nothing() -> None:
    names = column_names(DEBT_HEADS, 7)
    assert names[1] == "2025年政府债务限额（预计数）"
    assert names[4] == "2025年政府债务余额（预计数）"
    assert names[5] == "2025年政府债务余额（预计数）一般债务"
    assert not any("A=B+C" in n or n.endswith("B") for n in names)


def test_the_asked_column_of_a_row_is_said_alone() -> None:
    q = "防城港市2025年政府债务余额预计数是多少？"
    said = row_in_words(
        DEBT_ROWS[0], DEBT_HEADS, "万元", lambda label: coverage(label, q), lambda item, col: (coverage("政府债务余额预计数", item + col), coverage(col, q))
    )  # fmt: skip
    assert said == "防城港市2025年政府债务余额（预计数）3,755,864万元"
    # asked for a sub-column, that one
    q = "防城港市2025年一般债务余额预计数是多少？"
    said = row_in_words(
        DEBT_ROWS[0], DEBT_HEADS, "万元", lambda label: coverage(label, q), lambda item, col: (coverage("一般债务余额预计数", item + col), coverage(col, q))
    )  # fmt: skip
    assert said == "防城港市2025年政府债务余额（预计数）一般债务1,467,815万元"


def test_a_table_by_place_answers_the_place_the_question_names() -> None:
    text = "2025年政府债务限额及余额情况表  单位：万元\n" + "\n".join(f"表头：{h}" for h in DEBT_HEADS)
    text += "\n" + "\n".join(DEBT_ROWS[::-1])
    table = chunk(text, kind="table", table_title="2025年政府债务限额及余额情况表")
    a = answer_extractive("防城港市2025年政府债务余额预计数是多少？", [Retrieved(table, 1.0)], {"防城港市"}, 5)
    assert not a.abstained and "3,755,864万元" in a.answer and "377,124" not in a.answer


def test_a_heading_that_states_the_amount_answers() -> None:
    # fujian-pingtan-tanchengzhen-2019-yusuan-baogao p.1: the total is the heading of its list
    body = chunk(
        "11.两岸融合试点经费80万元。\n总支出中，安排旅差费支出55万元，会议费支出7万元，公务招待费1.5万元。",
        section="三、关于2019年预算草案 > （二）财政预算总支出2832万元",
    )
    a = answer_extractive("平潭潭城镇2019年财政预算总支出安排多少？", [Retrieved(body, 1.0)], {"潭城镇"}, 5)
    assert not a.abstained and "2832万元" in a.answer


def test_a_sentence_split_by_a_misread_heading_is_read_whole() -> None:
    # jiangsu-2024-fubiao p.119: the page's last line became a heading
    body = chunk(
        "22732.83亿元。其中，一般债务7667.02亿元，专项债务15065.81亿元。",
        section="15678.96亿元。截至2023年底，我省地方政府债务余额预计执行数为",
    )
    q = "截至2023年底，江苏省地方政府债务余额预计执行数是多少？"
    a = answer_extractive(q, [Retrieved(body, 1.0)], {"江苏省"}, 5, ["江苏省人民政府"])
    assert not a.abstained and "预计执行数为22732.83亿元" in a.answer


def test_a_file_name_spells_the_place_or_body_the_question_names() -> None:
    assert spelled_in("南昌市", "jiangxi-nanchang-2025-fubiao")
    assert spelled_in("新疆自治区", "xinjiang-2021-zhaiwu-gongkai")
    assert not spelled_in("南京市", "jiangxi-nanchang-2025-fubiao")
    q = "首都绿化委员会办公室2026年部门预算收支总表中收入总计是多少？"
    assert spelled_bodies(q, "beijing-shoudulvhuawei-2026-bumen-yusuan-baobiao") == ["首都绿化委员会办公室"]
    assert spelled_bodies(q, "beijing-shiwei-xuanchuanbu-2026-bumen-yusuan") == []
    # a level word a file name spells is no body (harbin-2021-shibenji-…: "哈尔滨市本级…" keeps its 本级)
    assert spelled_bodies("哈尔滨市本级2021年“三公”经费是多少？", "harbin-2021-shibenji-juesuan-baogao") == []


def test_a_note_under_a_table_is_read_as_prose() -> None:
    # harbin-2021-shibenji-juesuan-baogao p.68: the figure asked is in the note of the 三公 table
    text = (
        "2021年哈尔滨市本级“三公”经费和会议费支出决算表  单位：万元\n表头：项目 | 2020年决算 | 2021年决算 | 比上年增减变化%\n"
        "“三公”经费和会议费支出合计 | 7,277 | 8,436 | 15.9\n公车购置及运维支出 | 5,732 | 6,813 | 18.9\n"
        "注：一、市本级2021年度“三公”经费支出7249万元，较上年增加1017万元。主要是购置执法执勤和特种业务车辆等因素导致增支。"
        "如剔除上述因素，市本级2021年度“三公”经费支出4775万元,较上年同期下降23%。"
    )
    table = chunk(text, kind="table", table_title="2021年哈尔滨市本级“三公”经费和会议费支出决算表")
    q = "如果剔除车辆购置因素，哈尔滨市本级2021年“三公”经费是多少？"
    a = answer_extractive(q, [Retrieved(table, 1.0)], {"哈尔滨市"}, 5, ["哈尔滨市人民政府"])
    assert not a.abstained and "4775万元" in a.answer
