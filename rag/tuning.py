"""The few numbers the answerer is tuned by, in one place, so the eval can choose them on some
families of reports and score them on another (leave-one-family-out)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    # exact budget terms matter more than paraphrase, and the sparse side also indexes table rows one
    # by one, so BM25 weighs more than the dense ranking in the fusion
    sparse_weight: float = 1.5
    # share of the question's content words a sentence must contain to be quoted as the answer
    min_coverage: float = 0.5


DEFAULT_TUNING = Tuning()
# what leave-one-family-out chooses among
GRID = tuple(Tuning(w, c) for w in (1.0, 1.5, 2.0) for c in (0.4, 0.5, 0.6))
