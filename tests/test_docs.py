"""Documentation that is part of the product stays true."""

from __future__ import annotations

from pathlib import Path

from dhakira.archive import FORMAT_VERSION
from dhakira.catalog.db import SCHEMA_VERSION
from dhakira.catalog.schema import CUSTODY_LOG, MIGRATIONS
from dhakira.cli.reference import render

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_cli_reference_is_generated_from_help() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == render(), (
        "docs/cli.md is stale: run `python -m dhakira.cli.reference > docs/cli.md`"
    )


def test_format_doc_names_the_current_format_and_every_table() -> None:
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    assert f"**Format version: {FORMAT_VERSION}**" in text
    assert len(MIGRATIONS) == SCHEMA_VERSION
    scripts = [m if isinstance(m, str) else CUSTODY_LOG for m in MIGRATIONS]
    tables = [
        line.split("CREATE TABLE ")[1].split()[0]
        for script in scripts
        for line in script.splitlines()
        if "CREATE TABLE" in line
    ]
    renamed = {  # a migration's scratch copy, renamed to the real table's name
        line.split("ALTER TABLE ")[1].split()[0]
        for script in scripts
        for line in script.splitlines()
        if "ALTER TABLE" in line and "RENAME TO" in line
    }
    assert renamed == {"sim_hashes_v11"}
    for table in set(tables) - renamed:
        assert f"`{table}`" in text, f"docs/format.md does not describe the table {table}"
