"""The declared shape of draft content: one of the registered kinds' schemas.

Content stays a plain dict at run time (it was validated when the chain produced it or the
approver edited it); the annotation only tells the API schema what such a dict holds.

A draft speaks to two audiences. Fields marked `MANAGER_ONLY` in a kind's schema (how to
open the conversation, what to verify, how much the records support) are for the manager;
`employee_view` is the content without them, the only form an employee is shown.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from coach.drafts.registry import kind_schemas

MANAGER_ONLY: dict[str, Any] = {"audience": "manager"}
"""`json_schema_extra` of a content field the employee is never shown."""


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


def _manager_only(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("audience") == MANAGER_ONLY["audience"]


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The content model a field holds, directly, in a list or as an optional."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, Union, types.UnionType):
        for arg in get_args(annotation):
            model = model_in(arg)
            if model is not None:
                return model
    return None


def _for_employee(schema: type[BaseModel], value: Any) -> Any:
    if isinstance(value, list):
        return [_for_employee(schema, item) for item in value]
    if not isinstance(value, dict):
        return value
    fields = schema.model_fields
    # An undeclared key passes only where the schema keeps extras (a target's explanation):
    # elsewhere it is not known to be meant for the employee.
    shown = {k: v for k, v in value.items() if k not in fields} if _keeps_extra(schema) else {}
    for name, field in fields.items():
        if name not in value or _manager_only(field):
            continue
        inner = model_in(field.annotation)
        shown[name] = value[name] if inner is None else _for_employee(inner, value[name])
    return shown


def _keeps_extra(schema: type[BaseModel]) -> bool:
    return schema.model_config.get("extra") == "allow"


def employee_view(schema: type[BaseModel] | None, content: dict[str, Any]) -> dict[str, Any]:
    """The content as the employee may see it: without the manager-only fields."""
    if schema is None:
        return dict(content)
    shown = _for_employee(schema, content)
    return shown if isinstance(shown, dict) else {}
