from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from coach.core.audit import record_event
from coach.core.models import Role
from coach.knowledge import (
    AUDIENCES,
    DEFAULT_COLLECTION,
    CollectionNameError,
    DocumentError,
    DocumentSummary,
    IngestReport,
    MarkdownFile,
    PracticeDocument,
    SearchHit,
    StoreError,
    UploadTooLarge,
    upload_documents,
    validate_collection_name,
)
from coach.knowledge.rerank import RERANK_TOP, Rerank, rerank_hits
from coach.org.users import Principal

from ..deps import (
    ChatEngineDep,
    CurrentUser,
    KnowledgeDep,
    PageDep,
    SessionDep,
    SettingsDep,
    require_roles,
)
from ..errors import error_responses

router = APIRouter(tags=["practice library"])
Writer = Annotated[Principal, Depends(require_roles(Role.hr, Role.admin))]


class DocumentIn(BaseModel):
    id: str = Field(description="Stable slug such as `five-whys`.")
    title: str
    body: str
    tags: list[str] = Field(default_factory=list)
    applies_to: list[str] = Field(default_factory=lambda: list(AUDIENCES))
    competencies: list[str] = Field(default_factory=list)
    collection: str = DEFAULT_COLLECTION


class DocumentsPublic(BaseModel):
    data: list[DocumentSummary]
    count: int


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=50)
    collection: str = DEFAULT_COLLECTION
    tags: list[str] | None = None
    applies_to: list[str] | None = None
    llm_rerank: bool = Field(
        default=False,
        description=(
            f"Ask the configured language model to reorder the first {RERANK_TOP} practices the"
            " offline search found; `rerank` then says whether its order was used. Without a"
            " configured model, or when the call fails, the offline order stands."
        ),
    )


class SearchResponse(BaseModel):
    results: list[SearchHit]
    rerank: Rerank | None = Field(
        default=None, description="What the language-model rerank did, when it was asked for."
    )


def _collection_error(exc: CollectionNameError) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"loc": ["collection"], "msg": str(exc), "type": "value_error"}],
    )


def _collection(name: str) -> str:
    try:
        validate_collection_name(name)
    except CollectionNameError as exc:
        raise _collection_error(exc) from exc
    return name


def _document_error(exc: DocumentError) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        {"message": str(exc), "file": exc.file, "field": exc.field, "reason": exc.reason},
    )


async def _upload_from_request(
    request: Request, max_bytes: int
) -> tuple[list[MarkdownFile], list[PracticeDocument], str]:
    """The uploaded files, or the one JSON document, and the collection they go to."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        collection = str(form.get("collection") or DEFAULT_COLLECTION)
        # One byte over the limit is enough to tell that a file is too large.
        files = [
            MarkdownFile(upload.filename or "upload.md", await upload.read(max_bytes + 1))
            for _, upload in form.multi_items()
            if not isinstance(upload, str)
        ]
        if not files:
            raise _document_error(
                DocumentError(
                    "(form)", "file", "no practice file (.md, .txt, .docx, .pdf) was uploaded"
                )
            )
        return files, [], collection
    try:
        body = DocumentIn.model_validate(await request.json())
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.errors()) from exc
    except ValueError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "body: send JSON or a multipart file upload"
        ) from exc
    try:
        doc = PracticeDocument(**body.model_dump(exclude={"collection"}), source="(json)")
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise _document_error(DocumentError("(json)", field, first["msg"])) from exc
    return [], [doc], body.collection


@router.post(
    "/v1/knowledge/documents",
    response_model=IngestReport,
    responses=error_responses(400, 401, 403, 409, 413, 422, 503),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": DocumentIn.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "collection": {"type": "string"},
                        },
                    }
                },
            }
        }
    },
)
async def add_documents(
    request: Request, session: SessionDep, user: Writer, kb: KnowledgeDep, settings: SettingsDep
) -> IngestReport:
    """Add or replace documents: Markdown files with front matter, or one JSON document."""
    files, documents, collection = await _upload_from_request(request, settings.max_upload_bytes)
    try:
        result = await run_in_threadpool(
            upload_documents, session, kb, actor=user.label, collection=collection, files=files,
            documents=documents, max_bytes=settings.max_upload_bytes,
        )  # fmt: skip
    except UploadTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"{exc.file}: {exc.reason}") from exc
    except DocumentError as exc:
        raise _document_error(exc) from exc
    except CollectionNameError as exc:
        raise _collection_error(exc) from exc
    except StoreError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"collection {collection!r}: {exc}") from exc
    return result.report


@router.get(
    "/v1/knowledge/documents", response_model=DocumentsPublic, responses=error_responses(401, 422)
)
def list_documents(
    kb: KnowledgeDep,
    _: CurrentUser,
    page: PageDep,
    collection: Annotated[str, Query()] = DEFAULT_COLLECTION,
) -> DocumentsPublic:
    """Documents stored in a collection, a page at a time."""
    docs = kb.list_documents(_collection(collection))
    return DocumentsPublic(data=page.of(docs), count=len(docs))


@router.delete(
    "/v1/knowledge/documents/{doc_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 422, 503),
)
def delete_document(
    doc_id: str,
    session: SessionDep,
    user: Writer,
    kb: KnowledgeDep,
    collection: Annotated[str, Query()] = DEFAULT_COLLECTION,
) -> None:
    """Remove a document and its chunks."""
    if not kb.delete_document(doc_id, _collection(collection)):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"document {doc_id!r} not found in {collection!r}"
        )
    record_event(session, actor=user.label, action="knowledge.delete", object_type="practice",
                 object_id=f"{collection}/{doc_id}")  # fmt: skip


@router.post(
    "/v1/practices/search",
    response_model=SearchResponse,
    responses=error_responses(400, 401, 422),
)
def search_practices(
    body: SearchRequest, kb: KnowledgeDep, _: CurrentUser, chat: ChatEngineDep
) -> SearchResponse:
    """Practices that fit a described gap, best first (hybrid dense + BM25)."""
    if not body.query.strip():
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", "query"], "msg": "must not be blank", "type": "value_error"}],
        )
    # A rerank can lift a practice from below the first k, so it is given the wider list.
    wanted = max(body.k, RERANK_TOP) if body.llm_rerank else body.k
    hits = kb.search(
        body.query, k=wanted, collection=_collection(body.collection), tags=body.tags,
        applies_to=body.applies_to,
    )  # fmt: skip
    if not body.llm_rerank:
        return SearchResponse(results=hits)
    reranked, rerank = rerank_hits(body.query, hits, chat)
    return SearchResponse(results=reranked[: body.k], rerank=rerank)
