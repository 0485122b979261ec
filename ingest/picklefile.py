"""Derived files under the home (BM25 index, vector snapshot, the embedder's tokenizer) kept as pickles:
written atomically, read back only when whole and of the expected type; anything else reads as absent,
so the caller rebuilds it."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def save_pickle(obj: object, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)  # atomic: a reader never sees half a file


def load_pickle(path: Path, kind: type[T]) -> T | None:
    try:
        with path.open("rb") as f:
            obj = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return obj if isinstance(obj, kind) else None
