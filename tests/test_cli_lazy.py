"""The lazy command table names every command, each in the module that defines it."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import dhakira.cli
from dhakira.cli import LAZY


def test_every_command_is_in_the_lazy_table_under_its_module() -> None:
    defined = {}
    for info in pkgutil.iter_modules(dhakira.cli.__path__):
        module = importlib.import_module(f"dhakira.cli.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            defined[command.name] = info.name
    assert defined == LAZY


def test_a_command_loads_only_its_own_module() -> None:
    code = (
        "import sys; from dhakira.cli import cli\n"
        "try:\n    cli(['user', '--help'], prog_name='dhakira')\n"
        "except SystemExit:\n    pass\n"
        "cmds = [m for m in sys.modules if m.startswith('dhakira.cli.') and m.endswith('_cmd')]\n"
        "print(sorted(cmds), 'dhakira.ingest.add' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['dhakira.cli.web_cmd'] False"
