"""Citation lookup of quotes and figures."""

from __future__ import annotations

import pytest

from ingest.errors import BadInputError
from ingest.pipeline import Store
from rag.locate import Locator
from tests.conftest import CORPUS

CORPUS_TEXT = CORPUS / "beiguan-gongxinju-2024-juesuan.txt"


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
    with pytest.raises(BadInputError, match="空的"):
        locator.locate("  ")
    with pytest.raises(BadInputError, match="报告编号为「nope」"):
        locator.locate("42400", ("nope",))


def test_reports_stored_before_the_text_index_are_still_found(corpus_settings, tmp_path) -> None:  # noqa: ANN001
    import shutil
    import sqlite3

    from ingest.settings import Settings

    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    doc = "qingcheng-gongxinju-2024-juesuan"
    db = sqlite3.connect(home / "catalog.sqlite")
    with db:  # as a catalog written by an older version: no text index for this report
        db.execute("DELETE FROM text_figures WHERE doc_id=?", (doc,))
        db.execute("DELETE FROM norm_texts WHERE doc_id=?", (doc,))
    db.close()
    locator = Locator(Store(Settings(home=home), write=False))
    assert doc not in locator.store.text.normalized()
    assert any("42,400万元" in h.context for h in locator.locate("42400") if h.kind == "text")
    assert any(h.doc_id == doc for h in locator.locate("主要变动情况：一是国家城乡融合发展 试验区"))


def test_normalising_is_per_character_nfkc_without_spaces_or_punctuation() -> None:
    import unicodedata

    from ingest.textindex import normalize_with_map, normalized

    text = (CORPUS_TEXT.read_text(encoding="utf-8")[:3000]) + " Ⅻ ﬁ ① ＡＢＣ　％ ㎡ 𝐀，。；"
    out, where = [], []
    for i, ch in enumerate(text):  # the definition, one character at a time
        for c in unicodedata.normalize("NFKC", ch):
            cat = unicodedata.category(c)
            if not (c.isspace() or cat.startswith("P") or cat.startswith("S") and c != "%"):
                out.append(c.lower())
                where.append(i)
    norm, at = normalize_with_map(text)
    assert norm == "".join(out) == normalized(text) and at.tolist() == where
    assert norm.endswith("xiifi1abcm2a")
