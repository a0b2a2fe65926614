"""Check real answers against the OpenAPI document the site serves (disputes/openapi.yaml).

OpenAPI 3.1 schemas are JSON Schema 2020-12, so jsonschema validates them as they are, with `$ref`s
resolved inside the served document.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import yaml
from django.test import Client
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = "urn:counterclaim:openapi"


@cache
def served_document() -> dict[str, Any]:
    """Return the OpenAPI document as /api/schema/ serves it."""
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _validator(pointer: str) -> Draft202012Validator:
    registry = Registry().with_resource(DOCUMENT, Resource(served_document(), DRAFT202012))
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT}#{pointer}"}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def validate_schema(name: str, data: Any) -> None:
    """Check data against one of the document's component schemas, e.g. "DisputeDetail"."""
    _validator(f"/components/schemas/{_escape(name)}").validate(data)


def validate_response(path: str, response: Any) -> Any:
    """Check an answer against what the document says `GET path` (a template: /api/disputes/{slug}/) answers.

    The status and the media type must be documented for that path; a JSON body must match its schema.
    Return the decoded JSON body.
    """
    operation = served_document()["paths"][path]["get"]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{response.status_code} is not documented for {path}"
    media_type = response["Content-Type"].split(";")[0].strip()
    assert media_type in documented.get("content", {}), f"{media_type} is not documented for {path}"
    body = json.loads(response.content)
    pointer = f"/paths/{_escape(path)}/get/responses/{response.status_code}/content/{_escape(media_type)}/schema"
    _validator(pointer).validate(body)
    return body
