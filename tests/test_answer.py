"""Cited extractive answers over the corpus."""

from __future__ import annotations

import re

import pytest

from ingest.errors import BadInputError


def test_why_question_cites_the_reason(qa) -> None:  # noqa: ANN001
    a = qa.ask("清城区工信局2024年政府性基金预算财政拨款收入为什么增加？")
    assert not a.abstained and a.mode == "extractive"
    assert any("国家城乡融合发展试验区清城区产业园区基础设施建设项目资金增加" in c.text for c in a.citations)
    assert all(c.doc_id == "qingcheng-gongxinju-2024-juesuan" for c in a.citations)
    assert re.search(r"\[1\]", a.answer)


def test_how_much_question_answers_with_the_amount(qa) -> None:  # noqa: ANN001
    a = qa.ask("淄博高新区工信商务局2024年基本支出是多少？")
    assert not a.abstained
    assert "1,176" in a.answer


def test_every_number_in_the_answer_is_in_a_cited_passage(qa) -> None:  # noqa: ANN001
    for q in ("清城区工信局2024年一般公共预算财政拨款收入是多少？", "北关区工信局2024年机关运行经费是多少？"):
        a = qa.ask(q)
        cited = " ".join(c.text for c in a.citations)
        for num in re.findall(r"\d[\d,]*\.?\d*", re.sub(r"\[\d+\]", "", a.answer)):
            assert num in cited, (q, num)


def test_unanswerable_question_abstains_and_lists_passages(qa) -> None:  # noqa: ANN001
    a = qa.ask("火星探测器的燃料采购预算是多少？")
    assert a.abstained and a.answer.startswith("语料中未找到")
    assert a.retrieved and not a.citations


def test_doc_filter_restricts_passages(qa) -> None:  # noqa: ANN001
    a = qa.ask("机关运行经费是多少？", doc_ids=("beiguan-gongxinju-2024-juesuan",))
    assert a.retrieved and {r.chunk.doc_id for r in a.retrieved} == {"beiguan-gongxinju-2024-juesuan"}


def test_unknown_doc_and_empty_question_are_bad_input(qa) -> None:  # noqa: ANN001
    with pytest.raises(BadInputError, match="unknown doc_id 'nope'"):
        qa.ask("收入是多少？", doc_ids=("nope",))
    with pytest.raises(BadInputError, match="empty"):
        qa.ask("   ")


def test_english_question_finds_the_chinese_passage(qa) -> None:  # noqa: ANN001
    a = qa.ask("Why did the Qingcheng bureau's government fund revenue increase in 2024?")
    texts = " ".join(r.chunk.text for r in a.retrieved)
    assert "政府性基金预算财政拨款收入" in texts
