"""The declared shape of draft content: one of the registered kinds' schemas.

Content stays a plain dict at run time (it was validated when the chain produced it or the
approver edited it); the annotation only tells the API schema what such a dict holds.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from coach.drafts.registry import kind_schemas


class NoContent(BaseModel):
    """A draft still generating, or failed: it has no output."""

    model_config = ConfigDict(extra="forbid")


class _OneOfRegisteredKinds:
    def __init__(self, *, or_empty: bool) -> None:
        self.or_empty = or_empty

    def __get_pydantic_json_schema__(
        self, plain: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schemas = (*kind_schemas(), *([NoContent] if self.or_empty else []))
        if not kind_schemas():
            return handler(plain)  # no kind registered (a bare test registry): any object
        # The union's members are generated as references to shared components; each stored
        # content matches exactly one of them (each kind's required fields are its own).
        one_of: Any = Union[schemas]  # noqa: UP007 (a union built from a tuple at run time)
        union = handler(TypeAdapter(one_of).core_schema)
        return {"oneOf": union.get("anyOf", [union])}


DraftContent = Annotated[dict[str, Any], _OneOfRegisteredKinds(or_empty=False)]
"""Content a person approved or edited: valid for its kind's schema."""
DraftOutput = Annotated[dict[str, Any], _OneOfRegisteredKinds(or_empty=True)]
"""A draft's AI output, empty until it has been generated."""
