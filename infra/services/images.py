"""Container image references: parsing and the platform registry default."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The distribution reference grammar, simplified: [host[:port]/]path[:tag][@digest].
_REFERENCE = re.compile(
    r"^(?:(?P<host>[a-zA-Z0-9.-]+(?::[0-9]+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:[._-]{1,2}[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]{1,2}[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


@dataclass(frozen=True)
class ImageRef:
    host: str | None
    path: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        """A digest can never point at other bytes; a tag can be pushed again."""
        return self.digest is not None

    def resolve(self, default_registry: str) -> str:
        host = self.host or default_registry
        text = f"{host}/{self.path}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_image(reference: str) -> ImageRef | None:
    match = _REFERENCE.match(reference)
    if not match:
        return None
    host = match["host"]
    path = match["path"]
    # "team/app" has no host: a first segment is a host only with a dot, a port or localhost.
    if host and "." not in host and ":" not in host and host != "localhost":
        path, host = f"{host}/{path}", None
    return ImageRef(host, path, match["tag"], match["digest"])
