"""pypdf: page count, document information and encryption of a PDF.

Raw output::

    {"header": "%PDF-1.4", "encrypted": False, "decrypted": None, "page_count": 3,
     "info": {"/Title": "...", "/Author": "...", "/CreationDate": "D:20240301123456+03'00'"}}

When pypdf cannot parse the file, raw is what was learnt before it failed plus
``{"failed": True, "error_type": "PdfReadError"}``, and ``error`` says why.
An encrypted PDF is opened with the empty user password when it has one (most "protected"
PDFs); otherwise ``decrypted`` is False and pages and info stay unknown (``None``).
Dates are kept as the PDF wrote them; :mod:`dhakira.media.normalise` parses them.
pypdf runs in-process, so unlike the subprocess tools it has no timeout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdf
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from dhakira.media.output import ToolOutput, describe, one_line

_MAX_VALUE = 2000  # characters kept of one info value


def inspect_pdf(path: Path) -> ToolOutput:
    """Read ``path`` with pypdf; never raises for a bad file."""
    version = pypdf.__version__
    raw: dict[str, Any] = {}
    try:
        with open(path, "rb") as fh:  # a file object: pypdf then reads lazily
            reader = PdfReader(fh)
            raw["header"] = reader.pdf_header
            raw["encrypted"] = reader.is_encrypted
            raw["decrypted"] = None
            if reader.is_encrypted:
                raw["decrypted"] = _try_empty_password(reader)
                if not raw["decrypted"]:
                    raw.update(page_count=None, info=None)
                    return ToolOutput("pypdf", version, raw, None)
            raw["page_count"] = len(reader.pages)
            raw["info"] = _info(reader)
    except Exception as exc:  # pypdf raises many kinds for a broken file
        raw.update(failed=True, error_type=type(exc).__name__)
        return ToolOutput("pypdf", version, raw, describe(exc))
    return ToolOutput("pypdf", version, raw, None)


def _try_empty_password(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # unsupported algorithm, missing crypto library, bad data
        return False


def _info(reader: PdfReader) -> dict[str, str]:
    """The document information dictionary as plain strings."""
    info = reader.metadata
    if info is None:
        return {}
    out: dict[str, str] = {}
    for key, value in info.items():
        resolved = value.get_object() if isinstance(value, IndirectObject) else value
        text = resolved.decode("latin-1") if isinstance(resolved, bytes) else str(resolved)
        # Lone surrogates (from broken UTF-16) would not survive encoding as UTF-8 JSON.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        out[str(key)] = one_line(text.replace("\x00", ""), _MAX_VALUE)
    return out
