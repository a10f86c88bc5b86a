"""Check a value against the constraints a vendored CRD puts on the field it lands in, before it
is rendered: the field's OpenAPI constraints (type string: `maxLength`, `minLength`, `pattern`,
`enum`) and the CEL rules of the node that holds it, read from the vendored schema at run time
(`upstream/`), so a CRD bump brings its new constraints with it and nothing is restated here.

`refusals(api_version, kind, node_path, value)`: the reasons the API server would refuse
`value` at `node_path` (`spec.rules[].matches[].path` of an HTTPRoute), in the CRD's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from infra.crds.cel import violations
from infra.crds.vendored import crd, node


@dataclass(frozen=True)
class FieldRefusal:
    field: str
    """Where in the rendered object (`spec.rules[].matches[].path.value`)."""
    reason: str
    """The CRD's own words (its CEL rule's message, or the OpenAPI constraint)."""


def _string_refusals(where: str, value: object, schema: dict[str, Any]) -> list[FieldRefusal]:
    if not isinstance(value, str) or schema.get("type") != "string":
        return []
    found: list[FieldRefusal] = []
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(
            FieldRefusal(where, f"is {len(value)} characters, at most {schema['maxLength']}")
        )
    if "minLength" in schema and len(value) < schema["minLength"]:
        found.append(FieldRefusal(where, f"must be at least {schema['minLength']} characters"))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(FieldRefusal(where, f"must match {schema['pattern']}"))
    if "enum" in schema and value not in schema["enum"]:
        found.append(FieldRefusal(where, f"must be one of {', '.join(schema['enum'])}"))
    return found


def refusals(api_version: str, kind: str, node_path: str, value: Any) -> list[FieldRefusal]:
    """What the CRD refuses in `value` placed at `node_path`: the OpenAPI constraints of the
    node and of its direct properties, then the CEL rules of the node and below (after the
    schema's defaults, as the API server applies them)."""
    schema = node(crd(api_version, kind).schema, node_path)
    found = _string_refusals(node_path, value, schema)
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value:
                found += _string_refusals(f"{node_path}.{key}", value[key], sub)
    return found + [
        FieldRefusal(f"{node_path}{v.path and '.' + v.path}", v.reason)
        for v in violations(value, schema)
    ]
