"""The question-answering service that the CLI, the web app and the eval harness share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from ingest.errors import BadInputError
from ingest.model import Answer, CheckedNumber, Retrieved
from ingest.periods import sentence_context
from ingest.pipeline import Store
from ingest.settings import Settings
from ingest.statements import mentions
from rag.cellwords import cell_in_words
from rag.compare_answer import (
    citation_of,
    comparison_answer,
    figure_phrase,
    in_chunk,
    is_comparison,
    request_for,
    table_chunk,
    wants_all_reports,
    wants_ranking,
)
from rag.conversation import Turn, interpret
from rag.extractive import answer_extractive, content_of
from rag.figures import Comparison, compare, figure_in, keyed_for, request_from
from rag.glossary import body_terms, expand
from rag.llm import (
    SYSTEM_PROMPT,
    ChatBackend,
    LLMError,
    OnToken,
    build_user_message,
    citations_for,
    make_chat_backend,
    matching_facts,
    validate_citations,
)
from rag.names import spelled_bodies
from rag.numbers import KeyedFacts, check_numbers, keyed_reports, money_equal
from rag.question import read_question, years_in
from rag.retrieve import Filters, Retriever
from rag.sections import LIST_QUESTION, section_answer
from rag.tuning import DEFAULT_TUNING, Tuning

MAX_QUESTION_CHARS = 1000
PARTIAL = re.compile(r"上半年|前三季度|[一二三]季度|1[-—~至到]\d{1,2}月")


def compact(text: str) -> str:
    """Text without spaces, commas and line breaks, for finding a quoted sentence in a passage."""
    return re.sub(r"[\s,，]", "", text)


def names_period(sentence: str) -> bool:
    """The sentence says which period it is about: a year, a half year or quarter, a draft or execution."""
    return bool(years_in(sentence) or PARTIAL.search(sentence) or re.search(r"预算草案|执行数|预计|决算数", sentence))


def validate_question(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise BadInputError(
            '问题是空的；请写出要问的内容，例如 budgetqa ask "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"'
        )
    if len(q) > MAX_QUESTION_CHARS:
        raise BadInputError(f"问题有 {len(q)} 个字，太长；请控制在 {MAX_QUESTION_CHARS} 字以内")
    return q


def one_report(answer: Answer, same_body: Callable[[tuple[str, ...]], bool] | None = None) -> Answer:
    """A question about one report is answered from one report: quotes of other reports (a passage of
    another year's or another body's report that happened to rank high) are dropped, the citations
    renumbered. The report kept is the one the best quote (the first) comes from. One body's two reports
    of a year (its 部门预算 and 单位预算) both answer, so both stay (same_body tells)."""
    docs = [c.doc_id for c in answer.citations]
    if len(set(docs)) < 2 or same_body is not None and same_body(tuple(dict.fromkeys(docs))):
        return answer
    keep = docs[0]
    parts = re.findall(r".*?\[(\d+)\]", answer.answer, flags=re.S)
    pieces = re.findall(r".*?\[\d+\]", answer.answer, flags=re.S)
    by_n = {c.n: c for c in answer.citations}
    renumber: dict[int, int] = {}
    text = ""
    for n, piece in zip(parts, pieces, strict=True):
        c = by_n.get(int(n))
        if c is None or c.doc_id != keep:
            continue
        new = renumber.setdefault(c.n, len(renumber) + 1)
        text += re.sub(r"\[\d+\]$", f"[{new}]", piece)
    rest = answer.answer[sum(len(p) for p in pieces) :]
    citations = tuple(replace(by_n[old], n=new) for old, new in renumber.items())
    return replace(answer, answer=(text + rest).strip(), citations=citations)


class QA:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings, write=False)
        self.retriever = Retriever(self.store)
        self._backend: ChatBackend | None = None
        self._keyed: dict[str, KeyedFacts] = {}
        self._keyed_gen = -1
        self._items: tuple[int, frozenset[str]] = (-1, frozenset())

    @property
    def backend(self) -> ChatBackend | None:
        if self._backend is None:
            self._backend = make_chat_backend(self.settings)
        return self._backend

    def _check(self, answer: Answer, passages: tuple[Retrieved, ...] = ()) -> Answer:
        """Every number of the answer against the tables of the cited reports (for an LLM answer
        without citations: of the reports of the passages it was given)."""
        if answer.abstained and answer.mode == "extractive":
            return answer
        chunks = [c for c in answer.citations] or [r.chunk for r in passages]
        if not chunks:
            return answer
        docs = tuple(dict.fromkeys(c.doc_id for c in chunks))
        keyed = self.keyed(docs)
        texts = [c.text for c in chunks]
        sections = {c.n: c.section for c in answer.citations}
        own_doc = {c.n: c.doc_id for c in answer.citations}
        numbers: list[CheckedNumber] = []
        # each quoted piece is read under the heading of the passage it comes from ("…市本级…收入决算情况")
        # and checked against its own report's tables, not another cited report's
        pieces = re.split(r"\[(\d+)\]", answer.answer)
        for i in range(0, len(pieces), 2):
            n = int(pieces[i + 1]) if i + 1 < len(pieces) else None
            if pieces[i].strip():
                own = [kf for kf in keyed if n is not None and kf.doc_id == own_doc.get(n)] or keyed
                numbers += check_numbers(pieces[i], own, texts, sections.get(n, "") if n else "")
        scanned = self.store.layout.scanned_pages(docs)
        citations = tuple(replace(c, ocr=(c.doc_id, c.page) in scanned) for c in answer.citations)
        return replace(answer, numbers=tuple(numbers), citations=citations)

    def keyed(self, doc_ids: tuple[str, ...]) -> list[KeyedFacts]:
        """Each report's keyed cells, read from SQLite once per index generation (not on every ask)."""
        gen = self.store.catalog.generation()
        if self._keyed_gen != gen:
            self._keyed, self._keyed_gen = {}, gen
        missing = tuple(d for d in doc_ids if d not in self._keyed)
        for kf in keyed_reports(self.store.facts, self.retriever.reports, missing):
            self._keyed[kf.doc_id] = kf
        return [self._keyed[d] for d in doc_ids]

    def check(self, sentence: str, doc_ids: tuple[str, ...] = ()) -> tuple[tuple[str, ...], list[CheckedNumber]]:
        """`budgetqa check`: the numbers of a sentence (say, a news draft) against the reports it names."""
        s = (sentence or "").strip()
        if not s:
            raise BadInputError(
                '要核对的句子是空的；例如 budgetqa check "清城区工信局2024年政府性基金预算财政拨款收入42,400万元"'
            )
        for d in doc_ids:
            self.retriever.check_doc(d)
        docs = doc_ids or self.retriever.scope(s)
        if not docs and len(self.retriever.reports) == 1:
            docs = tuple(self.retriever.reports)
        if not docs:
            raise BadInputError(
                "看不出句子说的是已读入的哪份报告（句中没有可辨认的单位名称和年度）；"
                "请在句中写上单位名称和年度，或用 --doc 报告编号 指定报告（报告编号见 budgetqa docs）"
            )
        passages = [self.store.catalog.report_text(d) for d in docs]
        context = self._context_of(s, docs)
        numbers = check_numbers(s, self.keyed(docs), passages, context)
        return docs, self._period_unclear(s, context, docs, numbers)

    def _context_of(self, sentence: str, docs: tuple[str, ...]) -> str:
        """The heading a sentence stands under when it is quoted from one of the reports: its period and
        scope are read from there ("二、2022年上半年预算执行情况" over "全市一般公共预算收入完成122亿元")."""
        probe = compact(sentence)[:60]
        if len(probe) < 8:
            return ""
        for d in docs:
            for c in self.store.catalog.doc_chunks(d):
                if c.kind == "text" and probe in compact(c.text):
                    at = c.text.find(sentence.strip()[:12])  # its paragraph may open with "（二）项目支出："
                    return sentence_context(c.section, c.text, at) if at >= 0 else c.section
        return ""

    def _period_unclear(
        self, sentence: str, context: str, docs: tuple[str, ...], numbers: list[CheckedNumber]
    ) -> list[CheckedNumber]:
        """A report covering two periods (a 决算 and the next year's first half; last year's execution and
        next year's draft): a sentence that names no period of its own, found under no heading of the
        report, is not ✗ against one period's table — it gets "?" with the reason."""
        periods = [self._periods(d) for d in docs]
        if context or not any(len(p) > 1 for p in periods) or names_period(sentence):
            return numbers
        told = "、".join(sorted({x for p in periods for x in p}))
        why = f"报告涉及多个时期（{told}），这句话没有写明是哪一时期，也未在报告正文中找到原句；请写明年份或时期再核对"
        return [
            replace(n, status="unclear", note=f"{why}（{n.note}）") if n.status == "mismatch" else n for n in numbers
        ]

    def _periods(self, doc_id: str) -> set[str]:
        title = self.retriever.reports[doc_id].get("title") or ""
        found = {f"{y}年" for y in years_in(title)}
        if PARTIAL.search(title):
            found.add("上半年" if "上半年" in title else "期中")
        return found

    def aliases(self, question: str) -> set[str]:
        return set().union(*self.retriever.names_in(question).values())

    def converse(self, question: str, previous: Turn | None, **ask_options: object) -> tuple[Answer, Turn]:
        """A question in a conversation: completed from the previous turn when it leaves out the report,
        year or item (the completed question is what is answered, and the answer says so)."""
        turn = interpret(validate_question(question), previous, self.aliases)
        answer = self.ask(turn.understood, **ask_options)  # type: ignore[arg-type]
        if turn.rewritten:
            answer = replace(answer, asked=turn.asked)
        cited = tuple(dict.fromkeys(c.doc_id for c in answer.citations))
        return answer, replace(turn, doc_ids=cited or turn.doc_ids)

    def ask(
        self,
        question: str,
        doc_ids: tuple[str, ...] = (),
        top_k: int | None = None,
        year: int | None = None,
        kind: str | None = None,
        use_llm: bool | None = None,
        on_token: OnToken | None = None,
        tuning: Tuning = DEFAULT_TUNING,
    ) -> Answer:
        """use_llm None: the LLM when one is configured, else extractive. on_token receives the LLM
        answer as it streams (before validation: the final Answer is what counts)."""
        want_llm = self.settings.llm_configured if use_llm is None else use_llm
        if want_llm and not self.settings.llm_configured:
            raise BadInputError(
                "--llm 需要大模型：请设置 BUDGETQA_LLM_BASE_URL 和 BUDGETQA_LLM_MODEL（或 BUDGETQA_LLM_GGUF）"
            )
        q = validate_question(question)
        k = self.settings.top_k if top_k is None else top_k
        if k < 1 or k > 50:
            raise BadInputError(f"--top-k {k} 超出范围；请用 1 到 50")
        query = expand(q)  # English budget terms get their Chinese words, for BM25 and the answerer
        retrieved = self.retriever.retrieve(query, k, Filters(tuple(doc_ids), year, kind), tuning=tuning)
        missing = self.retriever.uncovered_years(query, tuple(doc_ids))
        if missing:
            return self._no_such_year(q, missing, retrieved[:k])
        named = tuple(doc_ids) or self.retriever.scope(query)
        departments = [self.retriever.reports[d]["department"] or "" for d in named] + body_terms(q)
        departments += [b for d in named for b in spelled_bodies(q, d)]
        if is_comparison(q) and not want_llm:
            compared = self._comparison(q, query, named, Filters(tuple(doc_ids), year, kind), retrieved[:k])
            if compared is not None:
                return compared
        answer = answer_extractive(
            query, retrieved, self.aliases(query), k, departments, named, min_coverage=tuning.min_coverage
        )
        one_year = len(years_in(q)) <= 1  # "2023年和2024年…" may be answered from both years' reports
        if not answer.abstained and not is_comparison(q) and not wants_ranking(q) and (len(named) < 2 or one_year):
            answer = one_report(answer, self._same_body)
        if len(named) == 1 and LIST_QUESTION.search(query):
            answer = self._listed(answer, query, named[0], retrieved)
        if len(named) == 1 and not answer.abstained:
            answer = self._with_cell(answer, query, named[0], departments)
        answer = self._shown(self._check(replace(answer, question=q)), k)
        if want_llm:
            return self._ask_llm(q, answer, answer.retrieved[:k], on_token)
        return answer

    def _comparison(
        self, question: str, query: str, named: tuple[str, ...], filters: Filters, retrieved: list[Retrieved]
    ) -> Answer | None:
        """A question about one figure in several reports, answered from their tables; None when it
        names fewer than two reports, no figure a table holds, or fewer than two reports have it."""
        docs = named
        if wants_all_reports(query) or not docs:
            everyone = wants_all_reports(query) or not named
            docs = tuple(
                d
                for d in self.reports_matching(filters.doc_ids, tuple(years_in(query)), filters.kind)
                if (everyone or d in named) and filters.year in (None, self.retriever.reports[d].get("year"))
            )
        if len(docs) < 2:
            return None
        items = self.table_items()
        departments = [self.retriever.reports[d]["department"] or "" for d in docs]
        request = request_for(content_of(query, self.aliases(query), departments), items)
        if request is None:
            return None
        keyed = keyed_for(request, self.store.facts, self.retriever.reports, docs, items)
        chunks_of = self.store.catalog.doc_chunks
        result = compare(request, keyed, rank=wants_ranking(question), chunks_of=chunks_of)
        if len(result.found) < 2:
            return None
        answer = comparison_answer(question, result, chunks_of, retrieved)
        return self._shown(self._check(answer), max(len(retrieved), len(answer.citations)))

    def _same_body(self, docs: tuple[str, ...]) -> bool:
        rows = [self.retriever.reports.get(d) or {} for d in docs]
        keys = {(r.get("department") or r.get("title") or "", r.get("year")) for r in rows}
        return len(keys) == 1

    def _listed(self, answer: Answer, query: str, doc_id: str, retrieved: list[Retrieved]) -> Answer:
        """A list question whose answer a section of the report lists ("三、存在的主要问题"): that section,
        item by item, unless the answer quotes that section already."""
        listed = section_answer(query, self.store.catalog.doc_chunks(doc_id), retrieved)
        if listed is None or answer.citations and answer.citations[0].section == listed.citations[0].section:
            return answer
        return listed

    def _with_cell(self, answer: Answer, query: str, doc_id: str, departments: list[str]) -> Answer:
        """An amount question whose figure the report's tables hold by key: when no quoted figure is
        that cell's, the cell's row is quoted and cited too (the table's figure for this very item)."""
        asks = read_question(query)
        if not asks.how_much or asks.parts & {"change", "rate", "listing"}:
            return answer
        request = request_from(figure_phrase(content_of(query, self.aliases(query), departments)), self.table_items())
        if request is None or request.code:
            return answer
        kf = self.keyed((doc_id,))[0]
        row = figure_in(request, kf)
        f = row.fact
        if f is None or any(money_equal(m, f) for m in mentions(answer.answer)):
            return answer
        if any(in_chunk(f.source, c.quote) for c in answer.citations):
            return answer  # the row is quoted already (its cells carry no unit to match)
        chunk = table_chunk(f, self.store.catalog.doc_chunks(doc_id))
        if chunk is None:
            return answer
        n = len(answer.citations) + 1
        quote = f"{f.table_title}，{cell_in_words(f)}。[{n}]"  # said in words; the citation quotes the row
        cite = citation_of(n, chunk, f.source, f.page)
        return replace(
            answer,
            answer=f"{answer.answer}{quote}",
            citations=(*answer.citations, cite),
            retrieved=(*answer.retrieved, Retrieved(chunk, 0.0)),
        )

    def compare_item(
        self,
        item: str,
        doc_ids: tuple[str, ...] = (),
        department: str = "",
        years: tuple[int, ...] = (),
        kind: str | None = None,
        rank: bool = False,
    ) -> Comparison:
        """`budgetqa compare`: one item (a name like 三公经费 / 一般公共预算财政拨款支出 / 社会保障和就业支出,
        or a 功能分类 code like 208) in the selected reports, one row per report."""
        for d in doc_ids:
            self.retriever.check_doc(d)
        docs = self.reports_matching(doc_ids, years, kind, department)
        if not docs:
            raise BadInputError(
                f"没有已读入的报告符合 单位「{department or '不限'}」、年度 {'、'.join(map(str, years)) or '不限'}、类型 {kind or '不限'}；"
                "已读入哪些报告见 budgetqa docs"
            )
        items = self.table_items()
        request = request_from(item, items)
        if request is None:
            raise BadInputError(
                f"报告的表格中没有「{item}」这一项；请换一个项目，如 三公经费、"
                "一般公共预算财政拨款支出、社会保障和就业支出、收入总计，或功能分类编码如 208"
            )
        keyed = keyed_for(request, self.store.facts, self.retriever.reports, docs, items)
        return compare(request, keyed, rank=rank, chunks_of=self.store.catalog.doc_chunks)

    def reports_matching(
        self, doc_ids: tuple[str, ...] = (), years: tuple[int, ...] = (), kind: str | None = None, department: str = ""
    ) -> tuple[str, ...]:
        """Indexed reports within the given ids, years, kind and department (or title) words; an
        empty criterion lets every report through."""
        return tuple(
            d
            for d, r in self.retriever.reports.items()
            if (not doc_ids or d in doc_ids)
            and (not years or r.get("year") in years)
            and (kind is None or r.get("kind") == kind)
            and (not department or department in (r.get("department") or "") or department in (r.get("title") or ""))
        )

    def table_items(self) -> frozenset[str]:
        """Every item name in the index's tables, read once per index generation."""
        gen = self.store.catalog.generation()
        if self._items[0] != gen:
            self._items = (gen, self.store.facts.items())
        return self._items[1]

    def _no_such_year(self, question: str, years: list[int], retrieved: list[Retrieved]) -> Answer:
        """No report of the asked year for the body asked about: say which years are indexed for it
        ("已收录的万里街道报告：2023年、2024年、2025年；未收录2026年"), never another year's figure."""
        asked = "、".join(f"{y}年" for y in years)
        named = self.retriever.names_in(question)
        scope = [d for d in self.retriever.scope(question) if d in named]
        if scope:
            name = max(set.intersection(*(named[d] for d in scope)) or named[scope[0]], key=len)
            have = sorted({y for d in scope for y in self.retriever.reports[d].get("years") or [] if y})
            listed = "、".join(f"{y}年" for y in have) or "年度不详"
            text = f"已收录的{name}报告：{listed}；未收录{asked}的报告，无法回答{asked}的问题。"
        else:
            have = sorted({r["year"] for r in self.retriever.reports.values() if r.get("year")})
            text = f"语料中没有{asked}的相关报告，无法回答（已收录报告的年度：{'、'.join(map(str, have))}）。"
        return Answer(
            question=question,
            answer=text,
            mode="extractive",
            abstained=True,
            citations=(),
            retrieved=tuple(retrieved),
        )

    @staticmethod
    def _shown(answer: Answer, k: int) -> Answer:
        """The k passages shown with the answer: the cited ones first (the answerer read deeper than
        the fused ranking and found them best), then the rest of the ranking."""
        cited = dict.fromkeys(c.chunk_id for c in answer.citations)
        by_id = {r.chunk.chunk_id: r for r in answer.retrieved}
        first = [by_id[c] for c in cited if c in by_id]
        rest = [r for r in answer.retrieved if r.chunk.chunk_id not in cited]
        return replace(answer, retrieved=tuple(first + rest[: max(0, k - len(first))]))

    def _ask_llm(
        self, question: str, extractive: Answer, passages: tuple[Retrieved, ...], on_token: OnToken | None
    ) -> Answer:
        backend = self.backend
        assert backend is not None  # llm_configured was checked by ask()
        docs = tuple(dict.fromkeys(r.chunk.doc_id for r in passages))
        facts = matching_facts(question, docs, lambda d: self.store.facts.facts([d]))
        try:
            raw = backend.chat(SYSTEM_PROMPT, build_user_message(question, passages, facts), on_token)
        except LLMError as exc:
            return replace(extractive, notes=(*extractive.notes, f"LLM 未能回答：{exc}。以下是抽取式答案。"))
        validated = validate_citations(raw, len(passages))
        text, citations = citations_for(validated, passages)
        answer = Answer(
            question=question,
            answer=text,
            mode="llm",
            abstained=not citations and not re.search(r"\d", text),
            citations=citations,
            retrieved=extractive.retrieved,
            notes=validated.notes,
            backend=backend.name,
        )
        answer = self._check(answer, passages)
        bad = [n for n in answer.numbers if n.status in ("mismatch", "unsupported")]
        if bad:
            listed = "、".join(f"{n.text}（{'与表格不符' if n.status == 'mismatch' else '报告中找不到'}）" for n in bad)
            answer = replace(
                answer,
                notes=(f"注意：LLM 答案中的数字未通过核对：{listed}。请以附上的抽取式答案为准。", *answer.notes),
                alternative=extractive,
            )
        return answer
