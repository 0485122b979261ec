"""Citation lookup of quotes and figures."""

from __future__ import annotations

import pytest

from ingest.errors import BadInputError
from ingest.pipeline import Store
from rag.locate import Locator


@pytest.fixture(scope="module")
def locator(corpus_settings):  # noqa: ANN001, ANN201
    return Locator(Store(corpus_settings))


def test_figure_is_found_across_formats_and_units(locator) -> None:  # noqa: ANN001
    hits = locator.locate("42400")
    tables = [h for h in hits if h.kind == "table"]
    texts = [h for h in hits if h.kind == "text"]
    assert any(h.table == "收入支出决算总表" and "42,400.00" in h.context for h in tables)
    assert any("42,400万元" in h.context for h in texts)
    in_yuan = locator.locate("424000000元")
    assert any(h.table == "收入支出决算总表" for h in in_yuan)
    assert not [h for h in locator.locate("4240") if h.kind == "table" and h.value.startswith("42400")]


def test_quote_is_found_ignoring_punctuation_width_and_spaces(locator) -> None:  # noqa: ANN001
    hits = locator.locate("主要变动情况：一是国家城乡融合发展 试验区")
    assert len(hits) >= 2  # once with a half-width colon, once with a full-width one
    assert all(h.doc_id == "qingcheng-gongxinju-2024-juesuan" for h in hits)
    assert hits[0].section.startswith("第三部分")


def test_bad_input(locator) -> None:  # noqa: ANN001
    with pytest.raises(BadInputError, match="empty"):
        locator.locate("  ")
    with pytest.raises(BadInputError, match="unknown doc_id"):
        locator.locate("42400", ("nope",))
