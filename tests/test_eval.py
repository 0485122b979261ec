"""The eval harness: metric functions on hand-made cases, the gold file format, one run end to end."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from test_cli import run

from eval.gold import DEFAULT_GOLD, ExpectedNumber, load_gold
from eval.metrics import number_matches, numbers_found, percentile, share_contained
from ingest.errors import BadInputError

ROOT = Path(__file__).resolve().parent.parent


def write_gold(path: Path, *questions: dict) -> Path:
    """A gold file, one JSON object per line."""
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions), encoding="utf-8")
    return path


def en(value: str, unit: str) -> ExpectedNumber:
    return ExpectedNumber(Decimal(value), unit)


def test_yuan_and_wan_yuan_are_equal_within_the_coarser_rounding() -> None:
    assert number_matches(en("1434.89", "万元"), Decimal("14348853.34"), "元")
    assert number_matches(en("14348853.34", "元"), Decimal("1434.89"), "万元")
    assert numbers_found([en("1434.89", "万元")], "行政运行支出14,348,853.34元。") == 1.0


def test_a_figure_ten_times_off_is_not_a_match() -> None:
    assert not number_matches(en("42400", "万元"), Decimal("4240"), "万元")
    assert numbers_found([en("42400", "万元")], "收入4,240万元") == 0.0
    assert numbers_found([en("42400", "万元"), en("123.16", "%")], "收入42,400万元，增长123.16%") == 1.0


def test_percent_and_score_units_do_not_cross() -> None:
    assert not number_matches(en("98.57", "分"), Decimal("98.57"), "%")
    assert number_matches(en("98.57", "分"), Decimal("98.57"), "分")
    assert numbers_found([en("5", "%")], "完成年初预算的 5%") == 1.0
    assert numbers_found([en("5", "%")], "完成年初预算的 15%") == 0.0


def test_evidence_matches_across_full_and_half_width_punctuation_and_line_breaks() -> None:
    passage = "政府性基金预算财政拨款收入42,400万元,\n比上年决算数增加23400万元（增长123.16%）"
    assert (
        share_contained(["政府性基金预算财政拨款收入42，400万元，比上年决算数增加23400万元(增长123.16%)"], [passage])
        == 1
    )
    assert share_contained(["财政拨款收入4,240万元", "比上年决算数增加23400万元"], [passage]) == 0.5
    assert share_contained([], [passage]) is None


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert percentile([], 50) is None


def test_gold_format_errors_name_the_line_and_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "g.jsonl"
    bad.write_text('{"id": "a", "question": "q", "type": "lookup"}\n{"id": "b", "question": "q", "type": "guess"}\n')
    with pytest.raises(BadInputError, match=r"g.jsonl:2: type 'guess' is not one of"):
        load_gold(bad)
    bad.write_text(
        '{"id": "a", "question": "q", "type": "lookup", "expected_numbers": [{"value": 1, "unit": "USD"}]}\n'
    )
    with pytest.raises(BadInputError, match="unit 'USD'"):
        load_gold(bad)
    ok = tmp_path / "ok.jsonl"
    ok.write_text(
        '{"id": "a", "question": "q", "doc": null, "type": "why", "extra": 1, "expected_numbers": [{"value": 6268.57, "unit": "万元"}]}\n'
    )
    (q,) = load_gold(ok)
    assert q.expected_numbers[0].value == Decimal("6268.57") and q.doc is None
    counts = tmp_path / "counts.jsonl"
    units = ["台", "篇", "人", "辆", "次", "人次"]
    counts.write_text(
        json.dumps(
            {
                "id": "c",
                "question": "q",
                "type": "lookup",
                "expected_numbers": [{"value": 3, "unit": u} for u in units],
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    (q,) = load_gold(counts)
    assert [n.unit for n in q.expected_numbers] == units


def test_dev_set_is_large_and_varied_enough() -> None:
    gold = load_gold(DEFAULT_GOLD)
    types = {t: sum(1 for q in gold if q.type == t) for t in ("lookup", "why", "compare", "list", "unanswerable")}
    assert len(gold) >= 80 and all(types.values()), types
    assert types["unanswerable"] >= 10
    assert sum(1 for q in gold if q.question.isascii()) >= 10
    assert sum(1 for q in gold if q.doc and q.doc.startswith(("putuo-", "shanghai-"))) >= 20


def test_dev_set_evidence_is_verbatim_text_of_the_corpus_reports() -> None:
    """Each evidence string of a question about a corpus/ report stands in that report (after NFKC and
    whitespace removal), and each expected number stands in its evidence."""
    from eval.metrics import figures, normalize

    corpus = {p.stem: normalize(p.read_text(encoding="utf-8")) for p in (ROOT / "corpus").iterdir()}
    checked = 0
    for q in load_gold(DEFAULT_GOLD):
        if q.doc not in corpus:
            continue
        for e in q.evidence:
            assert normalize(e) in corpus[q.doc], (q.id, e)
            checked += 1
        got = figures(" ".join(q.evidence))
        for x in q.expected_numbers:
            assert any(number_matches(x, v, u) for v, u in got), (q.id, x)
    assert checked >= 50


def test_eval_end_to_end_on_three_questions(corpus_settings, tmp_path: Path) -> None:  # noqa: ANN001
    gold = tmp_path / "three.jsonl"
    lines = [
        {
            "id": "g1",
            "question": "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？",
            "doc": "qingcheng-gongxinju-2024-juesuan",
            "type": "why",
            "expected_numbers": [{"value": 42400, "unit": "万元"}],
            "evidence": ["政府性基金预算财政拨款收入42,400万元"],
        },
        {
            "id": "g2",
            "question": "北关区工信局2024年机关运行经费支出多少？",
            "doc": "beiguan-gongxinju-2024-juesuan",
            "type": "lookup",
            "expected_numbers": [{"value": 9.36, "unit": "万元"}],
            "evidence": ["2024 年度机关运行经费支出 9.36 万元"],
        },
        {"id": "g3", "question": "北京市海淀区教育委员会2024年收入总计是多少？", "doc": None, "type": "unanswerable"},
    ]
    write_gold(gold, *lines)
    out = tmp_path / "out"
    r = run(["eval", "--gold", str(gold), "--json", "--out", str(out)], corpus_settings.home)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["n"] == 3 and len(result["per_question"]) == 3
    m = result["metrics"]
    assert m["evidence_recall_at_k"] == 1.0 and m["numeric_accuracy"] == 1.0
    assert m["abstention"] == 1.0 and m["false_abstention"] == 0.0
    assert set(result["by_type"]) == {"why", "lookup", "unanswerable"}
    assert m["off_report_citations"] == 0.0 and m["right"] == 1.0  # both answers cite their own report only
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md", "metrics.png", "latency.png"}
    assert "evidence_recall_at_k" in (out / "report.md").read_text(encoding="utf-8")


def test_eval_with_baseline_reports_both_side_by_side(corpus_settings, tmp_path: Path) -> None:  # noqa: ANN001
    gold = write_gold(
        tmp_path / "one.jsonl",
        {
            "id": "g1",
            "question": "清城区工信局2024年机关运行经费支出多少？",
            "doc": "qingcheng-gongxinju-2024-juesuan",
            "type": "lookup",
            "expected_numbers": [{"value": 40.01, "unit": "万元"}],
            "evidence": ["机关运行经费支出40.01万元"],
        },
    )
    r = run(["eval", "--gold", str(gold), "--json", "--baseline", "--doc-filter"], corpus_settings.home)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert set(result["baseline"]["metrics"]) == set(result["metrics"])
    assert result["baseline"]["per_question"][0]["mode"] == "baseline"


def test_eval_bad_gold_file_is_one_line_exit_2(corpus_settings, tmp_path: Path) -> None:  # noqa: ANN001
    r = run(["eval", "--gold", str(tmp_path / "missing.jsonl")], corpus_settings.home)
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr


def test_every_dev_question_has_a_family_and_the_thin_families_are_covered() -> None:
    from eval.families import UNGROUPED, family_of, load_families

    families = load_families()
    gold = load_gold(DEFAULT_GOLD)
    fams = [family_of(q, families) for q in gold]
    assert UNGROUPED not in fams, [q.id for q, f in zip(gold, fams, strict=True) if f == UNGROUPED]
    assert fams.count("city-report") >= 20
    composite = [q for q in gold if q.question.count("？") >= 2 or q.question.count("多少") >= 2]
    assert len(composite) >= 8, len(composite)


def test_families_file_errors_name_the_line(tmp_path: Path) -> None:
    from eval.families import load_families
    from ingest.errors import BadInputError

    bad = tmp_path / "f.tsv"
    bad.write_text("# comment\nqingcheng-gongxinju-2024-juesuan guangdong\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"f.tsv:2: expected doc_id<TAB>family"):
        load_families(bad)
    with pytest.raises(BadInputError, match="not found"):
        load_families(tmp_path / "missing.tsv")


def test_leave_one_family_out_scores_each_family_with_the_others_choice() -> None:
    """Two families prefer different tunings: each is scored under the tuning the *other* prefers."""
    from eval.families import leave_one_family_out
    from eval.gold import GoldQuestion
    from rag.tuning import Tuning

    gold = [GoldQuestion(f"{f}-{i}", "q", None, "lookup", (), ("e",), family=f) for f in "ab" for i in range(2)]
    loose, strict = Tuning(1.0, 0.4), Tuning(1.0, 0.6)

    def run(t: Tuning) -> list[dict]:
        good_family = "a" if t == loose else "b"
        return [
            {
                "id": q.id,
                "type": "lookup",
                "evidence_recall": 1.0,
                "citation_support": 1.0 if q.family == good_family else 0.0,
                "numeric_accuracy": None,
                "abstained": False,
                "declined": False,
                "latency_ms": 1.0,
                "numbers_checked": 0,
                "numbers_verified": 0,
                "numbers_unsupported": 0,
                "numbers_mismatch": 0,
            }
            for q in gold
        ]

    out = leave_one_family_out(run, gold, {}, grid=(loose, strict))
    assert out["families"]["a"]["tuning"] == vars(strict)  # chosen on b
    assert out["families"]["a"]["held_out"]["citation_support"] == 0.0
    assert out["families"]["b"]["tuning"] == vars(loose)


def test_off_report_share_counts_citations_of_reports_the_question_did_not_name() -> None:
    from eval.gold import GoldQuestion
    from eval.harness import Outcome, off_report_share
    from eval.metrics import summarize

    q = GoldQuestion("x", "西南大学2023年实验室及相关设施支出是多少？", "swu-2023", "lookup", (), ())
    cites = Outcome("…", False, (), (), cited_docs=("swu-2023", "swu-2021", "swu-2024", "swu-2023"))
    assert off_report_share(q, cites) == 0.5
    assert off_report_share(q, Outcome("…", True, (), ())) is None  # an abstention cites nothing
    ranked = GoldQuestion("y", "哪个部门2024年公务接待费最多？", "swu-2023", "rank", (), ())
    assert off_report_share(ranked, cites) is None  # a ranking names several reports
    row = {
        "type": "lookup",
        "abstained": False,
        "declined": False,
        "evidence_recall": 1.0,
        "citation_support": 1.0,
        "numeric_accuracy": 1.0,
        "numbers_checked": 0,
        "numbers_verified": 0,
        "numbers_unsupported": 0,
        "latency_ms": 1.0,
        "off_report": 0.5,
        "first_cited_doc": "swu-2021",
        "doc": "swu-2023",
    }
    m = summarize([row])
    assert m["off_report_citations"] == 0.5 and m["right"] == 0.0  # the first citation is another report's


def test_wide_facts_become_the_gold_set_the_acceptance_check_writes(tmp_path: Path) -> None:
    from eval.wide import SHARED, facts_gold, families

    if not (SHARED / "realdata-wide").is_dir():
        pytest.skip("../shared/realdata-wide is absent")
    rows = facts_gold()
    assert len(rows) >= 100 and rows[0]["id"].startswith("w-")
    path = tmp_path / "wide.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    gold = load_gold(path)  # the harness reads it
    assert all(q.type == "lookup" and len(q.expected_numbers) == 1 and q.evidence for q in gold)
    fam = families()
    assert {fam[q.doc] for q in gold} >= {"dept-pdf", "gov-pdf", "gov-html"}
