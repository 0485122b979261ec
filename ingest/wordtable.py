"""jieba's dictionary as an SQLite table, so that a cold `ask` cuts its short texts without loading it.

Loading jieba's whole dictionary takes about 1.6 s, and its part-of-speech tags another 0.7 s: most of
a cold `budgetqa ask`, which only cuts a question of thirty characters. jieba consults its dictionary
only for substrings of the text it cuts (the DAG, the search-mode 2- and 3-grams, the HMM's unknown
runs), so a tokenizer given just those entries cuts exactly as the whole dictionary does. They are
read from the table, a few hundred keys in one query, and kept for the next text.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

TABLE_VERSION = 1
SHORT = 400  # longer texts (a chunk at ingest) load the whole dictionary once: one lookup per text would cost more


def jieba_module() -> Any:  # noqa: ANN401
    """jieba, imported with its logging quiet."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _dict_file() -> Path:
    jieba = jieba_module()
    return Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME


def table_path(cache_dir: Path) -> Path:
    """Named by jieba's version and its dictionary's size: another dictionary gets another table."""
    jieba = jieba_module()
    size = _dict_file().stat().st_size
    return cache_dir / f"jieba-words-{jieba.__version__}-{size}-v{TABLE_VERSION}.sqlite"


def build_table(path: Path) -> None:
    """The table of (word or prefix, frequency, part-of-speech tag), as jieba builds its own: words with
    their counts, every prefix of a word not itself a word at 0, and the total of all counts."""
    jieba = jieba_module()
    freq, total = jieba.Tokenizer.gen_pfdict(_dict_file().open("rb"))  # jieba's own reading; it closes the file
    tags: dict[str, str] = {}
    with _dict_file().open("rb") as f:
        for line in f:
            parts = line.strip().decode("utf-8").split(" ")
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE words (w TEXT PRIMARY KEY, n INTEGER NOT NULL, tag TEXT) WITHOUT ROWID")
        con.executemany("INSERT INTO words VALUES (?, ?, ?)", ((w, n, tags.get(w)) for w, n in freq.items()))
        longest = max(map(len, freq))
        con.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
        con.executemany("INSERT INTO meta VALUES (?, ?)", [("total", total), ("longest", longest)])
        con.commit()
    finally:
        con.close()
    tmp.replace(path)  # whole or not at all: a reader never sees half a table


class WordTable:
    """A jieba tokenizer and part-of-speech tokenizer whose dictionaries hold only the entries the texts
    cut so far needed, read from the table at `path`."""

    def __init__(self, path: Path) -> None:
        self._con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(self._con.execute("SELECT k, v FROM meta"))
        self._longest = int(meta["longest"])
        jieba = jieba_module()
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.total = int(meta["total"])
        self.tokenizer.initialized = True  # its FREQ is filled here, never from the whole dictionary
        self._tags: dict[str, str] = {}
        self._asked: set[str] = set()
        self._lock = threading.Lock()  # a server's threads: a text is cut only after its entries are read
        self._pos: Any = None

    @property
    def size(self) -> int:
        """How many substrings have been looked up (what the table's memory grows with)."""
        return len(self._asked)

    def _learn(self, text: str) -> None:
        keys = {text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + self._longest) + 1)}
        keys -= self._asked
        if not keys:
            return
        self._asked |= keys
        freq = self.tokenizer.FREQ
        todo = list(keys)
        for start in range(0, len(todo), 900):  # under SQLite's limit on bound parameters
            part = todo[start : start + 900]
            marks = ",".join("?" * len(part))
            for w, n, tag in self._con.execute(f"SELECT w, n, tag FROM words WHERE w IN ({marks})", part):
                freq[w] = n
                if tag is not None:
                    self._tags[w] = tag

    def lcut(self, text: str) -> list[str]:
        with self._lock:
            self._learn(text)
            return self.tokenizer.lcut(text)

    def lcut_for_search(self, text: str) -> list[str]:
        with self._lock:
            self._learn(text)
            return self.tokenizer.lcut_for_search(text)

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """jieba.posseg's words and tags, its tags of dictionary words read from the table."""
        with self._lock:
            return self._tagged(text)

    def _tagged(self, text: str) -> list[tuple[str, str]]:
        self._learn(text)
        if self._pos is None:
            cls = posseg().POSTokenizer
            pos = cls.__new__(cls)  # its __init__ reads every tag
            pos.tokenizer = self.tokenizer
            pos.word_tag_tab = self._tags  # the same dict: tags learnt later are seen
            self._pos = pos
        return [(p.word, p.flag) for p in self._pos.lcut(text)]


def posseg() -> Any:  # noqa: ANN401
    """jieba.posseg, imported without its module-level tokenizer reading the dictionary's 350,000 tags
    (0.7 s): it is given an empty dictionary file while the module loads. Its tags are read when a
    caller first uses jieba.posseg itself (index.tagged_words on a long text)."""
    import sys

    if "jieba.posseg" not in sys.modules:
        jieba = jieba_module()
        with jieba.dt.lock:
            kept = jieba.dt.dictionary
            jieba.dt.dictionary = os.devnull
            try:
                import jieba.posseg
            finally:
                jieba.dt.dictionary = kept
    return sys.modules["jieba.posseg"]


def ensure_table(cache_dir: Path) -> Path | None:
    """The table's path under cache_dir, built there first if missing; None when the home can't hold
    it (read-only, full)."""
    path = table_path(cache_dir)
    try:
        if not path.is_file():
            build_table(path)
        return path
    except (OSError, sqlite3.Error):
        return None


def open_table(cache_dir: Path) -> WordTable | None:
    """The table under cache_dir (built if missing), or None: the caller then loads jieba's whole
    dictionary."""
    path = ensure_table(cache_dir)
    try:
        return WordTable(path) if path is not None else None
    except (OSError, sqlite3.Error, KeyError, ValueError):
        return None
