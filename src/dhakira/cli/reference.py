"""docs/cli.md is generated from the commands' own --help, so the two cannot drift.

python -m dhakira.cli.reference > docs/cli.md
"""

from __future__ import annotations

import click

from dhakira.cli import cli


def render() -> str:
    out = [
        "# Command-line reference",
        "",
        "Generated from `--help` by `python -m dhakira.cli.reference > docs/cli.md`;"
        " a test fails if it is out of date.",
        "",
    ]
    ctx = click.Context(
        cli, info_name="dhakira", terminal_width=100, help_option_names=["-h", "--help"]
    )
    out += ["## dhakira", "", "```", cli.get_help(ctx), "```", ""]
    for name in sorted(cli.list_commands(ctx)):
        command = cli.get_command(ctx, name)
        assert command is not None
        sub = click.Context(command, info_name=name, parent=ctx, terminal_width=100)
        out += [f"## dhakira {name}", "", "```", command.get_help(sub), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
