"""Figures by key: each false-alarm class the number check used to raise, on the reports' own text,
and the false ✓ of a value equal to an unrelated cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.numbers_probe import probe
from ingest.keys import FigureKey, compatible, phrase_key
from ingest.pipeline import Store
from ingest.settings import Settings
from rag.audit import audit
from rag.numbers import check_numbers, keyed_reports
from tests.conftest import realdata

QC = "qingcheng-gongxinju-2024-juesuan"


def _check(store: Store, doc: str, sentence: str) -> dict[str, str]:
    reports = {r["doc_id"]: r for r in store.catalog.reports()}
    numbers = check_numbers(sentence, keyed_reports(store.facts, reports, (doc,)), [store.catalog.report_text(doc)])
    return {n.text: n.status for n in numbers}


@pytest.fixture(scope="module")
def corpus_store(corpus_settings: Settings) -> Store:
    return Store(corpus_settings)


def test_three_public_items_are_not_the_basic_spending_rows(corpus_store: Store) -> None:
    """公务接待费 1.59万元 (三公: 基本 + 项目) is not the 基本支出明细表 row of 0.33万元; its 占16.2% is of
    the 三公 total the table gives (9.84万元), not 1.59/1.59."""
    s = "2024年度“三公”经费财政拨款支出决算中，因公出国（境）费2.86万元，占29.1%；公务用车购置及运行维护费支出5.39万元，占54.7%；公务接待费支出1.59万元，占16.2%。"
    marks = _check(corpus_store, QC, s)
    assert marks["1.59万元"] == "verified" and marks["2.86万元"] == "verified"
    assert marks["16.2%"] == "verified" and marks["29.1%"] == "verified"


def test_a_part_of_an_amount_is_not_a_second_value_of_the_item(corpus_store: Store) -> None:
    marks = _check(corpus_store, QC, "公务接待费支出决算为1.59万元，其中使用上年结转0.5万元。")
    assert marks["1.59万元"] == "verified" and marks["0.5万元"] != "mismatch"


def test_a_change_is_never_compared_with_a_level(corpus_store: Store) -> None:
    marks = _check(corpus_store, QC, "一般公共预算财政拨款收入6,268.57万元, 比上年决算数增加2972.76万元, 增长90.20%。")
    assert marks == {"6,268.57万元": "verified", "2972.76万元": "quoted", "90.20%": "verified"}


def test_wrong_amount_of_a_keyed_item_is_a_mismatch_and_names_the_cell(corpus_store: Store) -> None:
    reports = {r["doc_id"]: r for r in corpus_store.catalog.reports()}
    kf = keyed_reports(corpus_store.facts, reports, (QC,))
    (n,) = check_numbers("政府性基金预算财政拨款收入42,000万元", kf, [])
    assert n.status == "mismatch" and n.source["table"] and "42400" in n.note and "清城区" in n.source["report"]


def test_unrelated_cell_with_the_same_value_never_verifies(corpus_store: Store) -> None:
    """10万元 is the 因公出国（境）费 预算 cell; said of 科学技术支出 it must not pass."""
    marks = _check(corpus_store, QC, "科学技术支出10万元。")
    assert marks["10万元"] in ("mismatch", "unclear")  # the scope is not said: two tables, two values


def test_probe_on_the_corpus_flags_only_the_real_mistakes(corpus_store: Store) -> None:
    result = probe(corpus_store)
    flagged = {(f["doc_id"], f["figure"]) for f in result.flagged}
    assert flagged == {
        ("qujiang-gongxinju-2021-jixiao", "2,617,435.49 元"),
        ("qujiang-gongxinju-2021-jixiao", "372,616.65 元"),
        # 预算总额1220.96万元，实际支出总额415.67万元，预算执行率27.84% (the amounts give 34.04%)
        ("beiguan-gongxinju-2024-juesuan", "27.84%"),
    }
    assert result.changed > 100 and not result.false_verified
    assert result.statuses["verified"] > 100


def test_keys_compare_scope_part_and_path() -> None:
    said = phrase_key("一般公共预算财政拨款基本支出", "决算")
    assert said == FigureKey(scope="一般公共预算", flow="支出", part="基本支出", stage="决算")
    whole = FigureKey(scope="一般公共预算", flow="支出", stage="决算")
    assert not compatible(said, whole)
    path = phrase_key("“一般公共服务支出（类）组织事务（款）一般行政管理事务（项）”", "预算")
    assert path is not None and path.path == ("一般公共服务支出", "组织事务", "一般行政管理事务")
    other = FigureKey(
        flow="支出", item="一般行政管理事务", path=("一般公共服务支出", "宣传事务", "一般行政管理事务"), stage="预算"
    )
    assert not compatible(path, other)
    assert compatible(path, FigureKey(flow="支出", item="一般行政管理事务", path=path.path, stage="预算"))


@pytest.fixture(scope="module")
def shanghai(tmp_path_factory: pytest.TempPathFactory) -> Store:
    pdfs = [
        realdata(n)
        for n in (
            "putuo-caizhengju-2024-juesuan.pdf",
            "putuo-caizhengju-2025-bumen-yusuan.pdf",
            "putuo-wanli-2024-bumen-yusuan.pdf",
            "putuo-wanli-2025-bumen-yusuan.pdf",
        )
    ]
    store = Store(Settings(home=Path(tmp_path_factory.mktemp("sh"))))
    store.ingest(pdfs)
    return store


@pytest.mark.slow
def test_shanghai_sentence_forms(shanghai: Store) -> None:
    cz, czb, wl = "putuo-caizhengju-2024-juesuan", "putuo-caizhengju-2025-bumen-yusuan", "putuo-wanli-2024-bumen-yusuan"
    # the full path picks its own row among six named 一般行政管理事务
    path = "“一般公共服务支出（类）组织事务（款）一般行政管理事务（项）”88.87万元，主要用于组织事务一般行政管理事务。"
    assert _check(shanghai, wl, path)["88.87万元"] == "verified"
    # a change is not a level; 基本支出 is not the 一般公共预算 total
    assert (
        _check(shanghai, cz, "与2023年度相比，一般公共预算财政拨款支出减少63.14万元，下降2.10%。")["63.14万元"]
        == "quoted"
    )
    assert _check(shanghai, cz, "一般公共预算财政拨款基本支出2336.91万元。")["2336.91万元"] == "verified"
    # 877,080元 printed 87.70万元: 尾数, not a contradiction
    s = "“社会保障和就业支出（类）行政事业单位养老支出（款）行政单位离退休（项）”87.70万元，主要用于局本部人员的退休经费支出。"
    assert _check(shanghai, czb, s)["87.70万元"] == "rounding"
    # the report's own mistake: ~2,961万元 in its tables
    assert _check(shanghai, cz, "上海市普陀区财政局2024年度财政拨款收入支出总计0.3万元。")["0.3万元"] == "mismatch"


@pytest.mark.slow
def test_budget_with_closing_identities_has_no_audit_error(shanghai: Store) -> None:
    """Wanli 2025: its 收入预算总表 runs over pages without a repeated header; joined, every 类 = Σ款."""
    errors = [f for f in audit(shanghai, "putuo-wanli-2025-bumen-yusuan") if f.severity == "error"]
    assert errors == []
    found = {(f.kind, f.found) for f in audit(shanghai, "putuo-wanli-2024-bumen-yusuan") if f.severity == "error"}
    # the report gives 住房公积金 350.35万元 in its path sentence and 352.67万元 as the same 2024 budget
    assert found == {("narrative_table", "352.67万元")}


def test_the_item_named_last_is_the_figures_item_and_a_bracketed_part_is_its_own() -> None:
    from ingest.keys import special_item
    from ingest.statements import statements

    assert special_item("“三公”经费预算中因公出国（境）费") == "因公出国（境）费"
    assert special_item("三公经费预算中因公出国境费") == "因公出国（境）费"  # brackets dropped by a question
    assert special_item("公务用车购置及运行维护费") == "公务用车购置及运行维护费"
    st = statements("国内公务接待支出0.39万元（含外宾接待支出0.00万元）。", "决算")
    assert st[0].key is not None and st[0].key.item == "公务接待费"
    assert st[1].key is None  # 外宾接待 is a part of it, not the 公务接待费 again


def test_a_lower_header_span_stops_where_the_span_above_it_stops() -> None:
    from ingest.facts import table_facts
    from ingest.model import TableData

    header = (
        ("合计", "", "公务用车购置及运行费", "", "", "", "公务接待费", ""),
        ("", "", "小计", "", "公务用车运行费", "", "", ""),
        ("预算数", "决算数", "预算数", "决算数", "预算数", "决算数", "预算数", "决算数"),
    )
    t = TableData("财政拨款“三公”经费支出决算表", "万元", header, (("0.95", "", "", "", "", "", "0.95", ""),))
    facts = table_facts("d", "t", t, 18, "决算", 2024)
    hosting = [f for f in facts if f.column.startswith("公务接待费")]
    assert [f.column for f in hosting] == ["公务接待费 > 预算数"]
    assert hosting[0].key is not None and hosting[0].key.item == "公务接待费"


def test_the_period_part_fund_and_level_of_a_sentence_come_from_its_words_and_heading() -> None:
    """False ✗ of the wide corpus's number probe, each a class: a 2026 budget report's 2025 execution
    (the heading's year, the clause's year), several years added up, the items "其中" lists under 项目支出,
    and the fund and level a heading names (Chaoyang, Changchun, Dongguan, Changsha, Hetian)."""
    from ingest.statements import statements

    def keys(sentence: str, context: str, items: frozenset[str] = frozenset(), year: int = 2026) -> dict:
        return {s.mention.text: s.key for s in statements(sentence, "预算", items, context, year)}

    items = frozenset({"卫生健康支出", "一般公共服务支出", "超长期特别国债", "就业补助"})
    k = keys(
        "市本级主要支出事项是：一般公共服务支出51661万元，卫生健康支出164298万元。",
        "一、2025年预算执行情况 > （一）2025年预算收支执行情况 > 1.一般公共预算收支情况",
        items,
    )
    assert k["164298万元"].stage == "2025年" and k["164298万元"].scope == "一般公共预算"
    k = keys("2026年“三公经费”预算数为7.61万元，2025年预算数为9.23万元。", "七、“三公”经费情况说明")
    assert k["7.61万元"].stage == "预算" and k["9.23万元"].stage == "2025年预算"
    k = keys(
        "累计获批超长期特别国债72.78亿元。五年来累计发放各类就业补助17.38亿元。",
        "二、“十四五”时期财政改革发展成效",
        items,
    )
    assert k["72.78亿元"].stage == "累计" and k["17.38亿元"].stage == "累计"
    k = keys(
        "（二）项目支出：2026年本单位项目支出预算417.41万元，主要是单位为完成特定行政工作任务而发生的支出，"
        "其中：一般公共服务支出417.41万元，主要用于信访业务工作专项。",
        "第一部分部门预算公开说明 > 四、一般公共预算拨款支出",
        items,
    )
    assert [x.part for x in k.values() if x] == ["项目支出"]
    k = keys(
        "政府性基金预算支出7.56亿元。", "一、2025年地区本级财政决算情况 > （二）政府性基金预算收支决算情况", year=2025
    )
    assert k["7.56亿元"].level == "本级"


def test_a_narrower_item_and_a_transfer_table_are_not_the_item_the_sentence_names() -> None:
    """ "普通教育支出" is not the table's 教育支出, "其他科学技术支出" not 科学技术支出 (Dongguan, Suzhou); a
    市对下转移支付 table's 卫生健康支出 is the part paid to lower governments (Chaoyang); a table of last year
    in this year's report is 上年; a 会议费 column of a 三公 table is no 三公 figure (Suzhou's false ✓)."""
    from ingest.keys import cell_key, table_profile

    items = frozenset({"教育支出", "科学技术支出"})
    assert phrase_key("普通教育支出", "预算", items) is None
    assert phrase_key("10.其他科学技术支出（款）其他科学技术支出（项）支出", "预算", items) is None
    assert phrase_key("全市安排教育支出", "预算", items).item == "教育支出"  # type: ignore[union-attr]
    transfer = table_profile("2026年一般公共预算市对下转移支付预算明细表", "预算", 2026)
    assert cell_key(transfer, "3.卫生健康支出", (), "2026年预算数", "", "预算", 2026).part == "转移支付"  # type: ignore[union-attr]
    assert cell_key(transfer, "三、专项转移支付", (), "2026年预算数", "", "预算", 2026).part == ""  # type: ignore[union-attr]
    last_year = table_profile("市本级2025年一般公共预算收支平衡情况表", "预算", 2026)
    assert cell_key(last_year, "七、一般债务转贷支出", (), "快报数", "", "预算", 2026).stage == "2025年执行"  # type: ignore[union-attr]
    three = table_profile("一般公共预算“三公”经费、会议费、培训费支出表", "预算", 2026)
    assert cell_key(three, "", (), "会议费", "", "预算", 2026).item == "会议费"  # type: ignore[union-attr]
    assert cell_key(three, "", (), "“三公”经费合计", "", "预算", 2026).item == "三公经费"  # type: ignore[union-attr]


def test_a_paragraph_opened_by_its_part_and_a_bracketed_item_name() -> None:
    """Changsha 公安局: "（二）项目支出：…其中：一般公共服务支出3.00万元，…。公共安全支出40230.95万元" lists
    项目支出 items across sentences; Huzhou: "中医（民族）医院（项）" is the item, not its 款 公立医院."""
    from ingest.statements import statements

    text = (
        "（二）项目支出：2025年本单位项目支出预算40233.95万元，主要是单位为完成特定行政工作任务而发生的支出，"
        "其中：一般公共服务支出3.00万元，主要用于办公经费等方面。公共安全支出40230.95万元，主要用于警务辅助人员经费。\n"
        "公共安全支出68629.12万元，占100.00%。"
    )
    items = frozenset({"一般公共服务支出", "公共安全支出"})
    keys = {s.mention.text: s.key for s in statements(text, "预算", items, "四、一般公共预算拨款支出", 2025)}
    assert keys["3.00万元"].part == keys["40230.95万元"].part == "项目支出"  # type: ignore[union-attr]
    assert keys["68629.12万元"].part == ""  # type: ignore[union-attr]
    key = phrase_key("（18）卫生健康支出（类）公立医院（款）中医（民族）医院（项）", "预算")
    assert key is not None and key.item == "中医（民族）医院" and len(key.path) == 3


def test_a_sentence_checked_alone_keeps_its_paragraph_head_and_a_net_figure_is_not_contradicted() -> None:
    """The probe and `check` read one sentence at a time: its paragraph's "（二）项目支出：" comes with it as
    context. "扣除…，全市一般公共预算支出2418834万元" is net of the deductions (Chaoyang): never ✗ against
    the table's gross 3002891万元. A dated table's column of yet another year keeps its own year."""
    from ingest.keys import cell_key, table_profile
    from ingest.periods import paragraph_head
    from ingest.statements import statements

    text = (
        "具体安排如下：\n（二）项目支出：2025年本单位项目支出预算40233.95万元。公共安全支出40230.95万元，主要用于警务。"
    )
    head = paragraph_head(text, text.find("公共安全支出40230"))
    assert head == "（二）项目支出"
    alone = statements(
        "公共安全支出40230.95万元，主要用于警务。", "预算", frozenset({"公共安全支出"}), f"四、支出 > {head}", 2025
    )
    assert alone[0].key is not None and alone[0].key.part == "项目支出"
    net = statements(
        "扣除上解上级支出204597万元、年终结余373748万元，全市一般公共预算支出2418834万元。",
        "预算",
        frozenset(),
        "",
        2026,
    )
    assert [s.net for s in net] == [True, True, True]
    dated = table_profile("市本级2025年国有资本经营预算收入执行情况表", "预算", 2026)
    assert cell_key(dated, "国有资本经营预算收入合计", (), "2024年决算数", "", "预算", 2026).stage == "2024年决算"  # type: ignore[union-attr]


def test_a_government_reports_balance_row_or_level_it_cannot_tell_is_not_contradicted() -> None:
    """Qingdao: "当年收入加上上级提前下达的转移支付收入0.13亿元…收入总计26.79亿元" names no budget, and every
    budget has that row; a sentence counting 专项债券收入 speaks of the 政府性基金 budget."""
    from ingest.periods import sentence_fund

    assert (
        sentence_fund("当年收入加上上级提前下达的转移支付收入1.81亿元,专项债券收入745.62亿元,收入总计1661.08亿元。")
        == "政府性基金"
    )
    assert sentence_fund("一般公共预算收入完成122亿元，加上一般债券收入…") == ""
