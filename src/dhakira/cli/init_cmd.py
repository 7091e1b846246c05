"""dhakira init PATH"""

from __future__ import annotations

from pathlib import Path

import click

from dhakira.archive import FORMAT_VERSION, Archive
from dhakira.cli.output import emit_json, json_option


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@json_option
def init(path: Path, as_json: bool) -> None:
    """Create a new, empty archive in PATH."""
    with Archive.create(path) as archive:
        root = archive.root.resolve()
    if as_json:
        emit_json({"archive": str(root), "format": FORMAT_VERSION})
    else:
        click.echo(f"Created an empty archive (format {FORMAT_VERSION}) in {root}")
        click.echo(f'Next: dhakira -A {path} add FOLDER_OR_ZIP --contributor "NAME"')


COMMANDS = [init]
