"""The baseline a user would build with llama-index's defaults, run beside budgetqa in the same eval.

SentenceSplitter chunks (512 tokens), vector-only retrieval with the same embedder, same top-k, the top
chunk as the answer. It reads the same reports as text: the text budgetqa extracted from each file
(a plain llama-index PDF reader would give it worse text, so this flatters the baseline, on purpose:
the comparison measures chunking, retrieval and the answerer, not PDF reading).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters
from pydantic import PrivateAttr

from eval.gold import GoldQuestion
from eval.harness import Outcome
from ingest.embed import Embedder

CHUNK_TOKENS = 512


class EmbedderAdapter(BaseEmbedding):
    """Our Embedder behind llama-index's embedding interface, so both pipelines see the same vectors."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, **kw: Any) -> None:
        super().__init__(model_name=embedder.name, embed_batch_size=64, **kw)
        self._embedder = embedder

    def _vec(self, texts: list[str]) -> list[list[float]]:
        return np.asarray(self._embedder.embed(texts), dtype=np.float32).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return np.asarray(self._embedder.embed_query([query]), dtype=np.float32)[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vec([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._vec(texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class Baseline:
    def __init__(self, reports: dict[str, str], embedder: Embedder) -> None:
        """reports: doc_id -> report text."""
        self.embed_model = EmbedderAdapter(embedder)
        docs = [Document(text=text, metadata={"doc_id": d}, id_=d) for d, text in reports.items()]
        nodes = SentenceSplitter(chunk_size=CHUNK_TOKENS).get_nodes_from_documents(docs)
        self.n_chunks = len(nodes)
        self.index = VectorStoreIndex(nodes, embed_model=self.embed_model)

    def retrieve(self, question: str, top_k: int, doc: str | None = None) -> list[str]:
        filters = MetadataFilters(filters=[ExactMatchFilter(key="doc_id", value=doc)]) if doc else None
        retriever = self.index.as_retriever(similarity_top_k=top_k, filters=filters)
        return [n.node.get_content() for n in retriever.retrieve(question)]

    def __call__(self, q: GoldQuestion, top_k: int, doc_filter: bool) -> Outcome:
        passages = self.retrieve(q.question, top_k, q.doc if doc_filter else None)
        top = passages[0] if passages else ""
        return Outcome(
            answer=top, abstained=not passages, retrieved=tuple(passages), cited=(top,) if top else (), mode="baseline"
        )
