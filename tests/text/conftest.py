"""Fixtures for dhakira.text: inputs are made on the spot (Pillow, zipfile, a hand-written PDF).

A test that needs an external tool or font is skipped with the install line, or fails when
``CI`` is set (CI must have every tool).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from tests.conftest import missing
from tests.text.samples import ARABIC_FONTS, FONT_PACKAGES, LATIN_FONTS, find_font

INSTALL = {
    "pdftotext": "apt-get install poppler-utils",
    "pdftoppm": "apt-get install poppler-utils",
    "pdfinfo": "apt-get install poppler-utils",
    "tesseract": "apt-get install tesseract-ocr tesseract-ocr-ara tesseract-ocr-eng",
}


def require(tool: str) -> None:
    """Skip (fail in CI) unless ``tool`` is on PATH."""
    if shutil.which(tool) is None:
        missing(f"{tool} not installed: {INSTALL.get(tool, 'install ' + tool)}")


@pytest.fixture
def poppler() -> None:
    for tool in ("pdftotext", "pdftoppm", "pdfinfo"):
        require(tool)


@pytest.fixture
def tesseract() -> None:
    require("tesseract")
    listed = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False, timeout=30
    ).stdout.split()
    for language in ("ara", "eng"):
        if language not in listed:
            missing(f"tesseract has no {language} model: {INSTALL['tesseract']}")


@pytest.fixture
def arabic_font() -> str:
    found = find_font(ARABIC_FONTS)
    if found is None:
        missing(f"no Arabic font: {FONT_PACKAGES}")
    assert found is not None
    return found


@pytest.fixture
def latin_font() -> str:
    found = find_font(LATIN_FONTS)
    if found is None:
        missing(f"no Latin font: {FONT_PACKAGES}")
    assert found is not None
    return found
