"""The few numbers the answerer is tuned by, in one place, so the eval can choose them on some
families of reports and score them on another (leave-one-family-out)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    # weight of the BM25 ranking against the dense one in the fusion; and the share of the question's
    # content words a sentence must contain to be quoted. Both as leave-one-family-out chose them: every
    # fold (each family held out) picked 1.0 / 0.4 on the other families.
    sparse_weight: float = 1.0
    min_coverage: float = 0.4


DEFAULT_TUNING = Tuning()
# what leave-one-family-out chooses among
GRID = tuple(Tuning(w, c) for w in (1.0, 1.5, 2.0) for c in (0.4, 0.5, 0.6))
