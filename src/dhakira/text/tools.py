"""External tools (poppler's pdftotext/pdftoppm/pdfinfo, tesseract): running and versions.

Versions are probed once per process and remembered only once found, so a tool installed
while a worker is running is noticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

from dhakira.text.model import EXTRACTOR_VERSION, Deadline, ExtractionError
from dhakira.text.normalise import one_line
from dhakira.toolversion import probe

INSTALL = {
    "pdftotext": "apt-get install poppler-utils",
    "pdftoppm": "apt-get install poppler-utils",
    "pdfinfo": "apt-get install poppler-utils",
    "tesseract": "apt-get install tesseract-ocr tesseract-ocr-ara tesseract-ocr-eng",
}
OCR_LANGUAGES = ("ara", "eng")
"""Tesseract models used, in this order, when installed (``-l ara+eng``)."""

_languages: list[tuple[str, ...]] = []


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def missing(tool: str) -> str:
    return f"{tool} is not installed ({INSTALL.get(tool, 'install ' + tool)})"


def run(
    command: Sequence[str],
    deadline: Deadline,
    step: str,
    *,
    env: dict[str, str] | None = None,
) -> bytes:
    """Run ``command`` within the deadline; its stdout, or :class:`ExtractionError`."""
    timeout = deadline.remaining(step)
    try:
        done = subprocess.run(
            list(command),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise ExtractionError(f"timed out after {deadline.seconds:g} s ({step})") from None
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and not have(command[0]):
            raise ExtractionError(missing(command[0])) from None
        raise ExtractionError(f"{command[0]} could not run: {exc}") from None
    if done.returncode != 0:
        raise ExtractionError(f"{command[0]} failed: {_reason(done)}")
    return done.stdout


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    # The last line usually says why (poppler prints "Syntax Error ..." lines first).
    return one_line(lines[-1] if lines else f"exit status {done.returncode}", 200)


def tesseract_env() -> dict[str, str]:
    """Tesseract's environment: one thread per process.

    Measured on 2 cores: an A4 page at 200 dpi takes ~1.2 s with one thread against
    3.5-5 s with OpenMP's default threads, which fight each other; run files in parallel
    instead.
    """
    return dict(os.environ, OMP_THREAD_LIMIT="1")


def pdftotext_version() -> str | None:
    """``"22.12.0"`` (``pdftotext -v`` prints it on stderr), or ``None`` if not installed."""
    return probe("pdftotext", ["pdftotext", "-v"], r"pdftotext version (\S+)")


def pdftoppm_version() -> str | None:
    return probe("pdftoppm", ["pdftoppm", "-v"], r"pdftoppm version (\S+)")


def tesseract_version() -> str | None:
    """``"5.3.0"`` from the first line of ``tesseract --version``, or ``None``."""
    return probe("tesseract", ["tesseract", "--version"], r"(?m)^tesseract v?(\S+)")


def tesseract_languages() -> tuple[str, ...]:
    """The :data:`OCR_LANGUAGES` tesseract has models for (cached once any are found)."""
    if _languages:
        return _languages[0]
    try:
        done = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    listed = set(done.stdout.decode("utf-8", "replace").split())
    found = tuple(lang for lang in OCR_LANGUAGES if lang in listed)
    if found:
        _languages.append(found)
    return found


def tool_versions() -> dict[str, str | None]:
    """What text extraction uses, for reports and for keying stored text.

    ``{"pdftotext": "22.12.0", "pdftoppm": "22.12.0", "tesseract": "5.3.0",
    "tesseract-languages": "ara+eng", "extractor": "1"}``; ``None`` for what is missing.
    """
    languages = tesseract_languages() if tesseract_version() else ()
    return {
        "pdftotext": pdftotext_version(),
        "pdftoppm": pdftoppm_version(),
        "tesseract": tesseract_version(),
        "tesseract-languages": "+".join(languages) or None,
        "extractor": str(EXTRACTOR_VERSION),
    }
