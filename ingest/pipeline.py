"""Ingest: files → reports → chunks → catalog + vector store + BM25. Idempotent and crash-safe.

Order for a changed file: vectors for new chunks are added first, then the catalog swaps the report
in one transaction, then vectors no longer listed are deleted. The catalog decides what is
queryable, so a crash at any point leaves either the old or the new version answering.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.catalog import Catalog
from ingest.chunking import chunk_report
from ingest.datafile import safe_doc_id
from ingest.embed import Embedder, collection_name, make_embedder
from ingest.errors import BadInputError, DocumentError
from ingest.factstore import FactStore
from ingest.index import VectorStore, prepare_word_table, tokenize, use_word_table, whole_dictionary
from ingest.layout import BoxStore
from ingest.lock import held_here, writer_running, writing
from ingest.model import Chunk, Report
from ingest.parse import PARSER_VERSION, SUPPORTED, parse_file, sha256_file
from ingest.readers import skip_reason
from ingest.settings import Settings
from ingest.snapshots import DenseSnapshot, SparseIndex
from ingest.textindex import TextIndex
from ingest.workers import limits_of, read_files

EMBED_BATCH = 64
ChunkProgress = Callable[[str, str, int, int], None]  # (step, doc_id, done, total)


@dataclass
class IngestResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why it was not read): a folder's other files
    pages: int = 0
    chunks_embedded: int = 0
    orphans_removed: int = 0  # vectors of no catalog chunk, deleted before this ingest
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, doc_id with the same bytes)
    scanned: dict[str, tuple[int, ...]] = field(default_factory=dict)  # doc_id → pages read by OCR
    unread: dict[str, tuple[int, ...]] = field(default_factory=dict)  # doc_id → scanned pages not read

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def collect_files(
    paths: list[Path], skipped: list[tuple[str, str]] | None = None
) -> tuple[list[Path], list[DocumentError]]:
    """The report files under these paths. A file of a folder that no reader reads is listed in `skipped`
    with its reason ("不支持的格式 .gif"), never dropped silently; a file named on its own that can't be
    read is an error."""
    files: list[Path] = []
    errors: list[DocumentError] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(f for f in p.rglob("*") if f.is_file()):
                hidden = any(part.startswith(".") for part in f.relative_to(p).parts)
                why = "隐藏文件" if hidden else skip_reason(f)
                if not why:
                    files.append(f)
                elif skipped is not None:
                    skipped.append((str(f), why))
        elif p.is_file():
            if p.suffix.lower() in SUPPORTED:
                files.append(p)
            else:
                errors.append(DocumentError(str(p), skip_reason(p) or "不支持的格式"))
        else:
            raise BadInputError(f"{p}：找不到这个文件或文件夹；请给出报告文件或存放报告的文件夹")
    return files, errors


def _parse_job(
    path: str, on_page: Callable[[int, int], None] | None = None
) -> tuple[str, Report | None, DocumentError | None]:
    try:
        return path, parse_file(Path(path), on_page), None
    except DocumentError as exc:
        return path, None, exc
    except Exception as exc:  # one broken file must not stop the batch
        return path, None, DocumentError(path, f"无法读取（{type(exc).__name__}：{exc}）；请检查文件是否完整")


class Store:
    """Everything under $BUDGETQA_HOME: catalog, vectors, BM25. Backends are opened lazily."""

    def __init__(self, settings: Settings, write: bool = True) -> None:
        """write=False: open an existing index to read (never creates a home; a read-only home works)."""
        self.settings = settings
        self.catalog = Catalog(settings.db_path, write=write)
        self.facts = FactStore(self.catalog)  # facts are written in the same transaction as chunks
        self.layout = BoxStore(self.catalog)  # so are the places of PDF lines and cells
        self.text = TextIndex(self.catalog)  # and where quotes and figures stand in the text
        self._embedder: Embedder | None = None
        self._vectors: VectorStore | None = None
        self._dense_cache: DenseSnapshot | None = None
        self._sparse_cache: SparseIndex | None = None
        if settings.home.is_dir():  # a cold ask cuts its question without loading jieba's whole dictionary
            use_word_table(settings.home / "cache")

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            self._vectors = VectorStore(self.settings.chroma_path, self._collection, self.settings.chroma_url)
        return self._vectors

    def close(self) -> None:
        self.catalog.close()

    def reset_vectors(self) -> None:
        """Forget the open vector store (doctor moved a damaged one aside): the next use opens it anew."""
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # chromadb keeps one client per path
        self._vectors = None
        self._dense_cache = None

    # ------------------------------------------------------------------------------------
    def _plan(self, files: list[Path], result: IngestResult) -> list[Path]:
        """Files whose content changed (or are new); unchanged ones are skipped without parsing."""
        todo: list[Path] = []
        seen: dict[str, Path] = {}
        by_sha: dict[str, str] = {}  # the same bytes under another name are indexed once
        for f in files:
            doc_id = safe_doc_id(f.stem)  # a newline or an RTL override in a file name never reaches an id
            if doc_id in seen:
                result.errors.append(
                    DocumentError(
                        str(f),
                        f"报告编号「{doc_id}」已被 {seen[doc_id]} 使用（报告编号取自文件名）；请把其中一个文件改名",
                    )
                )
                continue
            seen[doc_id] = f
            try:
                size_mb = f.stat().st_size / 1048576
                if size_mb > self.settings.max_file_mb:
                    result.errors.append(
                        DocumentError(
                            str(f),
                            f"文件有 {size_mb:.1f} MB，超过 {self.settings.max_file_mb} MB 的上限；请拆分文件"
                            "或调高 BUDGETQA_MAX_FILE_MB",
                        )
                    )
                    continue
                sha = sha256_file(f)
            except OSError as exc:
                result.errors.append(DocumentError(str(f), f"无法读取（{exc.strerror}）；请检查文件权限"))
                continue
            twin = by_sha.get(sha) or self.catalog.doc_with_sha(sha)
            if twin is not None and twin != doc_id:
                result.duplicates.append((str(f), twin))
                continue
            by_sha[sha] = doc_id
            same_parser = self.catalog.meta(f"parser:{doc_id}") == PARSER_VERSION
            if self.catalog.report_sha(doc_id) == sha and same_parser:
                result.unchanged.append(doc_id)
            else:
                todo.append(f)
        return todo

    def _parsed(
        self, todo: list[Path], on_page: Callable[[str, int, int], None] | None = None
    ) -> Iterator[tuple[str, Report | None, DocumentError | None]]:
        # each file is read in a worker capped in memory and time (ingest.workers): a crafted file fails
        # alone, in one line, while this process embeds what is already read
        yield from read_files([str(f) for f in todo], limits_of(self.settings), 2, on_page)

    def ingest(
        self,
        paths: list[Path],
        prune: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        on_page: Callable[[str, int, int], None] | None = None,
        on_chunks: ChunkProgress | None = None,
    ) -> IngestResult:
        """One writer at a time (ingest.lock); a failed write is told by its cause (ingest.lock.writing)."""
        with writing(self.settings.home, self.settings.lock_wait):
            return self._ingest(paths, prune, progress, on_page, on_chunks)

    def _ingest(
        self,
        paths: list[Path],
        prune: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        on_page: Callable[[str, int, int], None] | None = None,
        on_chunks: ChunkProgress | None = None,
    ) -> IngestResult:
        """progress(file, i, n) after each file is read; on_page(file, page, pages) as pages are read (for
        files read in this process: a single file, or text files); on_chunks(step, doc_id, done, n) as a
        report's new chunks are embedded (step "embed") and its chunks indexed (step "index")."""
        result = IngestResult()
        result.orphans_removed = self.remove_orphan_vectors()
        files, errors = collect_files(paths, result.skipped)
        result.errors.extend(errors)
        todo = self._plan(files, result)
        total = len(todo)
        for i, (path, report, error) in enumerate(self._parsed(todo, on_page), start=1):
            if progress:
                progress(Path(path).name, i, total)
            if error is not None or report is None:
                result.errors.append(error or DocumentError(path, "无法读取"))
                continue
            self._add(report, result, on_chunks)
        if prune:
            present = {safe_doc_id(f.stem) for f in files}
            for doc_id in self.catalog.doc_ids():
                if doc_id not in present:
                    self.vectors.delete(self.catalog.drop_report(doc_id))
                    result.removed.append(doc_id)
        self._refresh_indexes(result)
        return result

    def ingest_reports(self, reports: Iterable[Report], on_chunks: ChunkProgress | None = None) -> IngestResult:
        """Store reports already read (by another reader, or made by the scale benchmark) the way
        `ingest` stores files: chunks, facts, vectors, then the indexes brought up to date."""
        result = IngestResult()
        with writing(self.settings.home, self.settings.lock_wait):
            for report in reports:
                self._add(report, result, on_chunks)
            self._refresh_indexes(result)
        return result

    def remove(self, doc_ids: list[str]) -> IngestResult:
        """Reports out of the index (the web library's 删除), as `ingest --prune` drops them."""
        result = IngestResult()
        with writing(self.settings.home, self.settings.lock_wait):
            for doc_id in doc_ids:
                if self.catalog.report_sha(doc_id) is not None:
                    self.vectors.delete(self.catalog.drop_report(doc_id))
                    result.removed.append(doc_id)
            self._refresh_indexes(result)
        return result

    def reread(self, doc_id: str) -> IngestResult:
        """Read a report's file again though unchanged (the web library's 重新读取); unchanged chunks
        keep their vectors."""
        path = next((Path(r["path"]) for r in self.catalog.reports() if r["doc_id"] == doc_id), None)
        if path is None:
            raise BadInputError(f"没有报告编号为「{doc_id}」的报告；已读入的报告见 budgetqa docs")
        self.catalog.set_meta(f"parser:{doc_id}", "")  # _plan reads a report of another parser again
        return self.ingest([path])

    def _add(self, report: Report, result: IngestResult, on_chunks: ChunkProgress | None) -> None:
        report = replace(report, doc_id=safe_doc_id(report.doc_id))  # readers name it by the file
        existed = self.catalog.report_sha(report.doc_id) is not None
        self._store_report(report, result, on_chunks)
        (result.updated if existed else result.added).append(report.doc_id)
        result.pages += report.pages
        if report.ocr_pages:
            result.scanned[report.doc_id] = report.ocr_pages
        if report.unread_pages:
            result.unread[report.doc_id] = report.unread_pages

    def _refresh_indexes(self, result: IngestResult) -> None:
        if result.changed or not self.settings.bm25_path.exists():
            self.refresh_sparse()
        if not self.settings.chroma_url and (result.changed or self.dense() is None):
            self.refresh_dense()
        prepare_word_table(self.settings.home / "cache")  # the first ask after an ingest is quick too

    def _store_report(self, report: Report, result: IngestResult, on_chunks: ChunkProgress | None = None) -> None:
        chunks = chunk_report(report)
        old_ids = self.catalog.chunk_ids(report.doc_id) | set(self.vectors.ids_for_doc(report.doc_id))
        new_ids = [c.chunk_id for c in chunks]
        have = self.vectors.existing(new_ids)
        missing = [c for c in chunks if c.chunk_id not in have]
        tell = (lambda done: on_chunks("embed", report.doc_id, done, len(missing))) if on_chunks and missing else None
        self.embed_and_add(missing, tell)
        result.chunks_embedded += len(missing)
        # token lists are made as the catalog writes them, never all at once: a long text's tokens
        # would take several times its size in memory
        self.catalog.swap_report(report, chunks, self._tokens(report.doc_id, chunks, on_chunks))
        self.catalog.set_meta(f"parser:{report.doc_id}", PARSER_VERSION)
        stale = sorted(old_ids - set(new_ids))
        if stale:
            self.vectors.delete(stale)

    @staticmethod
    def _tokens(doc_id: str, chunks: list[Chunk], on_chunks: ChunkProgress | None) -> Iterator[list[list[str]]]:
        for i, c in enumerate(chunks, start=1):
            yield sparse_units(c)
            if on_chunks and (i % 500 == 0 or i == len(chunks)):
                on_chunks("index", doc_id, i, len(chunks))

    def embed_and_add(self, chunks: list[Chunk], tell: Callable[[int], None] | None = None) -> None:
        for i in range(0, len(chunks), EMBED_BATCH):
            part = chunks[i : i + EMBED_BATCH]
            vectors = self.embedder.embed([c.embed_text() for c in part])
            self.vectors.upsert(part, vectors)
            if tell:
                tell(i + len(part))

    def refresh_sparse(self, from_scratch: bool = False) -> SparseIndex:
        """BM25 brought up to the catalog: kept chunks' rows reused, new chunks' tokens read."""
        old = None if from_scratch else self._sparse_cache or SparseIndex.load(self.settings.bm25_path)
        gen = self.catalog.generation()  # read before the rows: an ingest elsewhere may add some meanwhile
        rows = self.catalog.chunk_rows()
        index = SparseIndex.refreshed(old, rows, self.catalog.tokens_of, gen)
        self._sparse_cache = index
        try:
            index.save(self.settings.bm25_path)
        except OSError:  # a read-only home: the index lives in memory for this process
            if held_here(self.settings.home):  # but an ingest whose index can't be saved has failed
                raise
        return index

    def remove_orphan_vectors(self) -> int:
        """Vectors of no catalog chunk (left by an ingest killed between embedding and the catalog swap)
        are deleted: the catalog is the truth."""
        if not self.settings.chroma_path.exists() and not self.settings.chroma_url:
            return 0
        orphans = sorted(set(self.vectors.all_ids()) - self.catalog.all_chunk_ids())
        self.vectors.delete(orphans)
        return len(orphans)

    def refresh_dense(self, from_scratch: bool = False) -> DenseSnapshot:
        """The catalog's chunk vectors as one matrix (see DenseSnapshot): kept chunks' rows reused, new
        chunks' vectors read from the vector store."""
        old = None if from_scratch else self._dense_cache or DenseSnapshot.load(self.settings.dense_path)
        gen = self.catalog.generation()
        snap = DenseSnapshot.refreshed(old, self.catalog.chunk_rows(), self.vectors.vectors, gen, self._collection)
        self._dense_cache = snap
        try:
            snap.save(self.settings.dense_path)
        except OSError:  # a read-only home searches Chroma instead
            if held_here(self.settings.home):
                raise
        return snap

    @property
    def _collection(self) -> str:
        return collection_name(self.settings.embedder)

    def dense(self) -> DenseSnapshot | None:
        """The snapshot of the catalog's vectors when it is current; None with a Chroma server (search
        there) or a snapshot of another generation or embedder (Chroma is searched until ingest writes a
        new one)."""
        if self.settings.chroma_url:
            return None
        gen = self.catalog.generation()
        cached = self._dense_cache
        if cached is not None and cached.current(gen, self._collection):  # read once per generation
            return cached
        snap = DenseSnapshot.load(self.settings.dense_path)
        if snap is not None and not snap.current(gen, self._collection) and writer_running(self.settings.home):
            # an ingest is writing the vector store: search the vectors of the chunks still listed (a
            # chunk id hashes its content, so its vector is right) until it writes the new snapshot
            return snap.within(self.catalog.chunk_rows(), self._collection)
        if snap is None or not snap.current(gen, self._collection):
            return None
        self._dense_cache = snap
        return snap

    def sparse(self) -> SparseIndex:
        gen = self.catalog.generation()
        if self._sparse_cache is not None and self._sparse_cache.generation == gen:
            return self._sparse_cache
        index = SparseIndex.load(self.settings.bm25_path)
        if index is None or index.generation != gen:
            return self.refresh_sparse()
        self._sparse_cache = index
        return index


def remove_index(settings: Settings) -> list[str]:
    """Delete the catalog, vectors, BM25 index and snapshot of a home (uploads, sessions and caches stay):
    what `ingest --rebuild` starts from. Never under a running ingest: it takes the writer lock."""
    if not settings.home.is_dir():
        return _remove_index(settings)
    with writing(settings.home, settings.lock_wait):
        return _remove_index(settings)


def _remove_index(settings: Settings) -> list[str]:
    import shutil

    home = settings.home
    if home.exists() and not home.is_dir():
        raise BadInputError(f"BUDGETQA_HOME={home} 是一个文件而不是文件夹；请把 BUDGETQA_HOME 设为一个文件夹")
    removed = []
    db = settings.db_path
    for path in (
        db,
        db.with_name(db.name + "-wal"),
        db.with_name(db.name + "-shm"),
        settings.bm25_path,
        settings.dense_path,
    ):
        if path.exists():
            path.unlink()
            removed.append(path.name)
    if settings.chroma_path.exists() and not settings.chroma_url:
        shutil.rmtree(settings.chroma_path)
        removed.append("chroma/")
    return removed


def sparse_units(chunk: Chunk) -> list[list[str]]:
    """Token lists BM25 indexes for a chunk: the whole chunk, and for tables each row with the
    table's title, so "科学技术支出是多少" finds its row inside a long table."""
    whole_dictionary()  # thousands of texts: one load of jieba's dictionary, not a lookup per text
    units = [tokenize(chunk.embed_text())]
    if chunk.kind == "table":
        head = tokenize(f"{chunk.title} {chunk.table_title}")
        for line in chunk.text.split("\n")[1:]:
            if line and not line.startswith("表头："):
                units.append(head + tokenize(line))
    return units


def tqdm_progress() -> Callable[[str, int, int], None]:
    """A progress bar on stderr; silent when stderr is not a terminal and the batch is small."""
    from tqdm import tqdm

    bar: dict[str, object] = {}

    def update(name: str, i: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="个文件", file=sys.stderr, desc="正在读入报告", leave=True)
        b = bar["bar"]
        b.set_postfix_str(name[:40])  # type: ignore[attr-defined]
        b.update(1)  # type: ignore[attr-defined]
        if i == total:
            b.close()  # type: ignore[attr-defined]

    return update


STEP_NAMES = {"embed": "向量化", "index": "建立索引"}


def tqdm_chunks() -> ChunkProgress:
    """A report's chunks embedded, then indexed, as a second bar (a long text spends its time here)."""
    from tqdm import tqdm

    bars: dict[tuple[str, str], object] = {}

    def update(step: str, doc_id: str, done: int, total: int) -> None:
        if (step, doc_id) not in bars:
            bars[step, doc_id] = tqdm(
                total=total, unit="段", file=sys.stderr, desc=f"{STEP_NAMES.get(step, step)} {doc_id[:30]}", leave=False
            )
        b = bars[step, doc_id]
        b.update(done - b.n)  # type: ignore[attr-defined]
        if done >= total:
            b.close()  # type: ignore[attr-defined]

    return update
