"""The question-answering service that the CLI, the web app and the eval harness share."""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.errors import BadInputError
from ingest.model import Answer, CheckedNumber
from ingest.pipeline import Store
from ingest.settings import Settings
from rag.extractive import answer_extractive
from rag.numbers import check_numbers
from rag.retrieve import Filters, Retriever

MAX_QUESTION_CHARS = 1000


def validate_question(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise BadInputError(
            'the question is empty; ask e.g. budgetqa ask "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"'
        )
    if len(q) > MAX_QUESTION_CHARS:
        raise BadInputError(f"the question has {len(q)} characters; keep it under {MAX_QUESTION_CHARS}")
    return q


class QA:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings)
        self.retriever = Retriever(self.store)

    def _check(self, answer: Answer) -> Answer:
        """Every number of the answer against the tables of the cited reports."""
        if answer.abstained or not answer.citations:
            return answer
        docs = tuple(dict.fromkeys(c.doc_id for c in answer.citations))
        text = re.sub(r"\[\d+\]", "", answer.answer)
        numbers = check_numbers(text, docs, self.store.facts, [c.text for c in answer.citations])
        return replace(answer, numbers=tuple(numbers))

    def check(self, sentence: str, doc_ids: tuple[str, ...] = ()) -> tuple[tuple[str, ...], list[CheckedNumber]]:
        """`budgetqa check`: the numbers of a sentence (say, a news draft) against the reports it names."""
        s = (sentence or "").strip()
        if not s:
            raise BadInputError(
                'the sentence is empty; give e.g. budgetqa check "清城区工信局2024年政府性基金预算财政拨款收入42,400万元"'
            )
        for d in doc_ids:
            self.retriever.check_doc(d)
        docs = doc_ids or self.retriever.scope(s) or tuple(self.retriever.reports)
        passages = [self.store.catalog.report_text(d) for d in docs]
        return docs, check_numbers(s, docs, self.store.facts, passages)

    def aliases(self, question: str) -> set[str]:
        low = question.lower()
        return {a for names in self.retriever._aliases.values() for a in names if a in question or a in low}

    def ask(
        self,
        question: str,
        doc_ids: tuple[str, ...] = (),
        top_k: int | None = None,
        year: int | None = None,
        kind: str | None = None,
        use_llm: bool | None = None,
    ) -> Answer:
        """use_llm None: the LLM when one is configured, else extractive."""
        q = validate_question(question)
        k = self.settings.top_k if top_k is None else top_k
        if k < 1 or k > 50:
            raise BadInputError(f"--top-k {k} is out of range; use 1 to 50")
        retrieved = self.retriever.retrieve(q, k, Filters(tuple(doc_ids), year, kind))
        departments = [r["department"] or "" for r in self.retriever.reports.values()]
        answer = answer_extractive(q, retrieved, self.aliases(q), k, departments)
        answer = self._check(answer)
        shown = list(answer.retrieved[:k])
        cited = {c.chunk_id for c in answer.citations}
        shown += [r for r in answer.retrieved[k:] if r.chunk.chunk_id in cited]
        return replace(answer, retrieved=tuple(shown))
