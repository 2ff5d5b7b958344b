"""Chroma access for the practice library: the only module that talks to Chroma.

We always pass embeddings ourselves and open collections with
`embedding_function=None`: Chroma's default embedding function downloads a model.

Every write stamps the collection metadata with a fresh random revision. Readers
(the in-process BM25 cache) compare it before each search, so several API processes
sharing one Chroma server notice each other's writes.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Where
from chromadb.config import Settings
from chromadb.errors import NotFoundError

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")
REVISION_KEY = "coach_revision"
EMBEDDER_KEY = "coach_embedder"
DIM_KEY = "coach_dim"
_PAGE = 1000


class StoreError(RuntimeError):
    """The vector store refused an operation or holds incompatible data."""


class CollectionNameError(ValueError):
    """A collection name Chroma would reject."""


def validate_collection_name(name: str) -> str:
    """Return `name` if Chroma accepts it, else raise `CollectionNameError` saying why."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise CollectionNameError(
            f"invalid collection name {name!r}: use 3-512 characters from a-z A-Z 0-9 . _ -, "
            "starting and ending with a letter or digit"
        )
    return name


def make_client(path: Path | None, url: str = "") -> ClientAPI:
    """A Chroma HTTP client when `url` is set, else an embedded persistent client at `path`."""
    settings = Settings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        if not parsed.hostname:
            raise StoreError(f"invalid Chroma URL {url!r}")
        ssl = parsed.scheme == "https"
        port = parsed.port or (443 if ssl else 8000)
        return chromadb.HttpClient(host=parsed.hostname, port=port, ssl=ssl, settings=settings)
    if path is None:
        raise StoreError("need either a Chroma path or a Chroma URL")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from Chroma."""

    id: str
    text: str
    metadata: Mapping[str, Any]


class ChromaStore:
    """Thin typed wrapper over one Chroma client."""

    def __init__(self, client: ClientAPI) -> None:
        self.client = client

    def collection(self, name: str) -> Collection | None:
        """The collection, or None if it does not exist."""
        validate_collection_name(name)
        try:
            return self.client.get_collection(name, embedding_function=None)
        except NotFoundError:
            return None

    def ensure_collection(self, name: str, *, embedder_name: str, dim: int) -> Collection:
        """Open or create `name`; refuse one built with a different embedder."""
        validate_collection_name(name)
        col = self.client.get_or_create_collection(
            name,
            embedding_function=None,
            metadata={REVISION_KEY: uuid.uuid4().hex, EMBEDDER_KEY: embedder_name, DIM_KEY: dim},
            configuration={"hnsw": {"space": "cosine"}},
        )
        meta = col.metadata or {}
        stored = meta.get(EMBEDDER_KEY)
        if stored and stored != embedder_name:
            raise StoreError(
                f"collection {name!r} was built with embedder {stored!r}, not {embedder_name!r}; "
                "use another collection or delete and re-ingest it"
            )
        return col

    @staticmethod
    def revision(col: Collection) -> str:
        """Opaque marker that changes on every write."""
        return f"{col.id}:{(col.metadata or {}).get(REVISION_KEY, '')}"

    @staticmethod
    def bump_revision(col: Collection) -> None:
        """Mark the collection as changed for every reader."""
        meta = dict(col.metadata or {})
        meta[REVISION_KEY] = uuid.uuid4().hex
        col.modify(metadata=meta)

    @staticmethod
    def chunks_for(col: Collection, doc_ids: Sequence[str]) -> list[StoredChunk]:
        """Stored chunks (text and metadata, no vectors) of the given documents."""
        found: list[StoredChunk] = []
        ids = list(doc_ids)
        for start in range(0, len(ids), _PAGE):
            got = col.get(
                where=cast(Where, {"doc_id": {"$in": ids[start : start + _PAGE]}}),
                include=["metadatas", "documents"],
            )
            found.extend(_rows(got))
        return found

    @staticmethod
    def all_chunks(col: Collection) -> list[StoredChunk]:
        """Every chunk of the collection, paged so large collections stay bounded."""
        found: list[StoredChunk] = []
        offset = 0
        while True:
            got = col.get(include=["metadatas", "documents"], limit=_PAGE, offset=offset)
            rows = _rows(got)
            found.extend(rows)
            if len(rows) < _PAGE:
                return found
            offset += _PAGE

    @staticmethod
    def write_chunks(
        col: Collection,
        *,
        ids: list[str],
        embeddings: np.ndarray,
        texts: list[str],
        metadatas: list[dict[str, Any]],
    ) -> None:
        """Upsert chunks with precomputed embeddings."""
        for start in range(0, len(ids), _PAGE):
            end = start + _PAGE
            col.upsert(
                ids=ids[start:end],
                embeddings=embeddings[start:end],
                documents=texts[start:end],
                metadatas=metadatas[start:end],  # type: ignore[arg-type]
            )

    @staticmethod
    def delete_chunks(col: Collection, chunk_ids: Sequence[str]) -> None:
        """Delete chunks by id."""
        ids = list(chunk_ids)
        for start in range(0, len(ids), _PAGE):
            col.delete(ids=ids[start : start + _PAGE])

    @staticmethod
    def query(
        col: Collection, embedding: np.ndarray, *, n: int, doc_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunks as (chunk id, cosine similarity), optionally within `doc_ids`."""
        count = col.count()
        if count == 0 or n <= 0 or (doc_ids is not None and not doc_ids):
            return []
        where = cast(Where, {"doc_id": {"$in": list(doc_ids)}}) if doc_ids is not None else None
        got = col.query(
            query_embeddings=[embedding],
            n_results=min(n, count),
            where=where,
            include=["distances"],
        )
        ids = got["ids"][0]
        distances = (got.get("distances") or [[]])[0]
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(ids, distances, strict=True)]


def _rows(got: Mapping[str, Any]) -> list[StoredChunk]:
    ids = got.get("ids") or []
    docs = got.get("documents") or [""] * len(ids)
    metas = got.get("metadatas") or [{}] * len(ids)
    return [
        StoredChunk(id=i, text=d or "", metadata=m or {})
        for i, d, m in zip(ids, docs, metas, strict=True)
    ]
