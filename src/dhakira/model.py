"""Plain data the Archive hands to its adapters (CLI, web): no I/O here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from dhakira.names import display


@dataclass(frozen=True)
class Contribution:
    id: int
    contributor: str
    collection: str | None
    source_path: bytes
    member_path: bytes
    display_path: str  # source path (and member path after "!/") for people
    original_name: bytes
    size: int
    mtime: str | None
    received_at: str
    batch_id: int
    note: str | None
    restriction: str | None
    parent_sha256: str | None  # the archive file this came out of

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("source_path", "member_path", "original_name"):
            raw: bytes = d.pop(key)
            d[key] = display(raw)  # readable; exact bytes in the _hex field
            d[key + "_hex"] = raw.hex()
        return d


@dataclass(frozen=True)
class Item:
    sha256: str
    short_id: str
    size: int
    mime: str
    added_at: str
    contributions: int = 0
    name: str = ""  # one display name (the first contribution's)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ItemDetail:
    item: Item
    contributions: list[Contribution]
    properties: dict[str, Any]
    tool_outputs: list[dict[str, Any]]
    fixity: dict[str, Any] | None
    members: list[Item] = field(default_factory=list)  # if this item is an archive file

    def as_json(self) -> dict[str, Any]:
        return {
            **self.item.as_json(),
            "contributions": [c.as_json() for c in self.contributions],
            "properties": self.properties,
            "tool_outputs": self.tool_outputs,
            "fixity": self.fixity,
            "members": [m.as_json() for m in self.members],
        }
