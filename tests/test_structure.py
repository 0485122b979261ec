"""Section trees, tables and chunks of the corpus reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import MAX_CHARS, chunk_report
from ingest.parse import parse_file
from tests.conftest import CORPUS


def _report(name: str):  # noqa: ANN202
    return parse_file(CORPUS / name)


def test_qingcheng_has_five_parts_in_order() -> None:
    r = _report("qingcheng-gongxinju-2024-juesuan.txt")
    parts = [s.title[:4] for s in r.sections if s.level == 1]
    assert parts == ["第一部分", "第二部分", "第三部分", "第四部分", "第五部分"]


def test_table_of_contents_does_not_make_sections() -> None:
    r = _report("qingcheng-gongxinju-2024-juesuan.txt")
    firsts = [s for s in r.sections if s.title.startswith("第一部分")]
    assert len(firsts) == 1


def test_section_paths_nest() -> None:
    r = _report("qingcheng-gongxinju-2024-juesuan.txt")
    sec = next(s for s in r.sections if s.title.endswith("年度收入总体情况"))
    assert sec.path[0].startswith("第三部分")
    assert sec.path[1].startswith("一、")
    assert len(sec.path) == 3


@pytest.mark.parametrize(
    "name, part_count",
    [
        ("beiguan-gongxinju-2024-juesuan.txt", 4),
        ("zibo-gaoxin-gongxinshangwu-2024-juesuan.md", 5),
    ],
)
def test_other_layouts_have_their_parts(name: str, part_count: int) -> None:
    r = _report(name)
    assert len([s for s in r.sections if s.level == 1]) == part_count


def test_wrapped_lines_are_not_headings() -> None:
    # beiguan is hard-wrapped at ~26 characters: "（三）监测分析全区工业运行态势，统计并发布相关信" continues.
    r = _report("beiguan-gongxinju-2024-juesuan.txt")
    assert not any(s.title.startswith("（三）监测分析") for s in r.sections)
    joined = [b.text for b in r.blocks if "统计并发布相关信息" in b.text]
    assert joined, "the wrapped paragraph was not joined"


def test_jixiao_sections() -> None:
    r = _report("baiyun-kegongshangxin-2023-jixiao.txt")
    top = [s.title for s in r.sections if s.level == 2]
    assert top[:2] == ["一、部门基本情况", "二、绩效自评情况"]
    assert "白云区" in r.title and r.kind == "绩效自评" and r.year == 2023


def test_qingcheng_summary_table_chunk_has_unit_and_header() -> None:
    r = _report("qingcheng-gongxinju-2024-juesuan.txt")
    chunks = chunk_report(r)
    summary = [c for c in chunks if c.kind == "table" and c.table_title == "收入支出决算总表"]
    assert summary and all(c.unit == "万元" for c in summary)
    assert "表头：" in summary[0].text and "一般公共预算财政拨款收入" in summary[0].text


def test_beiguan_tables_have_titles_codes_units() -> None:
    r = _report("beiguan-gongxinju-2024-juesuan.txt")
    first = r.tables[0].table
    assert first is not None
    assert (first.title, first.code, first.unit) == ("收入支出决算总表", "公开01表", "万元")
    assert not first.aligned  # pdftotext layout lost empty cells


def test_chunks_stay_in_one_section_and_keep_sentences_whole() -> None:
    for path in sorted(Path(CORPUS).iterdir()):
        r = parse_file(path)
        block_ends = {b.text.rstrip()[-10:] for b in r.blocks}
        for c in chunk_report(r):
            if c.kind != "text":
                continue
            assert len(c.text) <= MAX_CHARS * 2, (path.name, c.text[:40])
            covered = {" > ".join(b.section_path) for b in r.blocks if b.start < c.end and b.end > c.start}
            assert covered == {c.section}, (path.name, c.text[:40])
            for line in c.text.split("\n"):
                assert line in r.text
            tail = c.text.rstrip()
            assert tail[-1] in "。！？；!?" or any(tail.endswith(e) for e in block_ends), (path.name, tail[-30:])


def test_chunk_ids_are_stable() -> None:
    a = [c.chunk_id for c in chunk_report(_report("qujiang-gongxinju-2021-jixiao.txt"))]
    b = [c.chunk_id for c in chunk_report(_report("qujiang-gongxinju-2021-jixiao.txt"))]
    assert a == b and len(set(a)) == len(a)


def test_block_offsets_point_into_the_text() -> None:
    r = _report("zibo-gaoxin-gongxinshangwu-2024-juesuan.md")
    for b in r.blocks:
        assert r.text[b.start : b.end] == b.text


def test_a_remark_or_a_label_run_into_an_amount_is_its_own_cell() -> None:
    """One-page 决算表 exported to text: the remarks column runs into the numbers, labels into amounts."""
    from ingest.text_tables import parse_space_table, split_glued

    assert split_glued("1,234.56主要用于办公") == ["1,234.56", "主要用于办公"]
    assert split_glued("行政运行123.45") == ["行政运行", "123.45"]
    assert split_glued("5G基站") == ["5G基站"] and split_glued("2024年") == ["2024年"]
    t = parse_space_table(
        "支出决算表", "", [], ["项目 决算数 备注", "行政运行 100.50 主要用于人员经费", "一般行政管理事务 20.00保障运转"]
    )
    assert t.rows[-1][:2] == ("一般行政管理事务", "20.00") and t.rows[-1][2] == "保障运转"
