"""Small, dependency-free HTML for packages: one self-contained page, no script, no network.

Every page carries its style inline, links only relatively, and declares its language and
direction; text of unknown script is marked ``dir="auto"`` so Arabic and English lines each
read the right way.
"""

from __future__ import annotations

from html import escape

STYLE = """
body{font-family:"Noto Naskh Arabic","Amiri","DejaVu Sans",sans-serif;margin:2em;
line-height:1.5;color:#111;background:#fff;max-width:72em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3em .5em;
text-align:start;vertical-align:top}th{background:#eee}code,.mono{font-family:monospace;
unicode-bidi:isolate;direction:ltr}img,video{max-width:100%;height:auto}
.note{color:#444;font-size:.9em}
"""


def e(text: object) -> str:
    """Escaped text, isolated so that its direction does not disturb the line around it."""
    return f"<bdi>{escape(str(text), quote=True)}</bdi>"


def attr(text: object) -> str:
    return escape(str(text), quote=True)


def page(title: str, body: str, *, lang: str = "en", direction: str = "ltr") -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{attr(lang)}" dir="{attr(direction)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A table; headers are escaped here, cells must already be HTML."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
