"""The OpenAPI of ``POST /events``: one CloudEvent schema per type (the envelope with that type's
``data`` schema from ``adapters.schemas``, the same models that validate the input), a
discriminated union of them, and an example per type."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, create_model

from adapters.cloudevents import BATCH, JSON, STRUCTURED, Envelope
from adapters.schemas import EVENT_TYPES, EXAMPLES

#: The component of one CloudEvent of any type.
CLOUDEVENT = "CloudEvent"
_REF = "#/components/schemas/{model}"


def _typed(type_name: str, data: type[Any]) -> type[Any]:
    """The envelope of a ``type_name`` event: its ``type`` fixed, its ``data`` typed."""
    fixed: Any = Literal[type_name]  # a type made at run time, one per event type
    return create_model(
        f"{data.__name__}Event", __base__=Envelope, __doc__=f"A `{type_name}` CloudEvent. {data.__doc__ or ''}".strip(),
        type=(fixed, ...), data=(data, ...),
    )


TYPED = {name: _typed(name, data) for name, data in EVENT_TYPES.items()}


def example(type_name: str) -> dict[str, Any]:
    """A whole CloudEvent of ``type_name`` with its example data."""
    return {"specversion": "1.0", "id": f"shop-{type_name}-1", "source": "shop", "type": type_name,
            "subject": "hw-1001", "time": "2026-03-01T10:00:00Z", "data": EXAMPLES[type_name]}


def components() -> dict[str, Any]:
    """The schemas to register: every typed envelope, every data schema, and ``CloudEvent``."""
    union: Any = Annotated[Union[tuple(TYPED.values())], Field(discriminator="type")]  # noqa: UP007 -- built at run time
    schema = TypeAdapter(union).json_schema(ref_template=_REF)
    defs = schema.pop("$defs", {})
    return {**defs, CLOUDEVENT: schema}


def request_body() -> dict[str, Any]:
    """The requestBody of ``POST /events`` in each of its three modes."""
    ref = {"$ref": f"#/components/schemas/{CLOUDEVENT}"}
    examples = {name: {"summary": name, "value": example(name)} for name in EVENT_TYPES}
    data = {"oneOf": [{"$ref": _REF.format(model=m.__name__)} for m in EVENT_TYPES.values()]}
    return {
        "required": True,
        "content": {
            STRUCTURED: {"schema": ref, "examples": examples},
            BATCH: {"schema": {"type": "array", "minItems": 1, "items": ref},
                    "examples": {"story": {"value": [example("customer.registered"), example("order.placed")]}}},
            JSON: {"schema": {**data, "description": "binary mode: the data; the attributes in ce- headers "
                              "(ce-specversion, ce-id, ce-source, ce-type, ce-subject, ce-time)"},
                   "examples": {name: {"summary": name, "value": EXAMPLES[name]} for name in EVENT_TYPES}},
        },
    }
