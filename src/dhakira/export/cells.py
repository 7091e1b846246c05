"""How a value is written in the CSV exports — shared by the writer and by `verify-bag`,
which must rebuild rows exactly and may import nothing heavy."""

from __future__ import annotations

from typing import Any


def cell(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else v
