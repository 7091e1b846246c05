"""A minimal hand-written PDF with a real text layer, for tests (no PDF library needed).

Latin lines use the standard Helvetica font. Arabic lines use a simple font whose codes are
mapped to Unicode by a ``/ToUnicode`` CMap; the glyphs are written in *visual* order (right
to left, as a PDF producer places them), so a correct extractor has to restore the logical
order. The Arabic font is not embedded: the text layer is what matters here, not the look.
"""

from __future__ import annotations

from collections.abc import Sequence

PAGE_W, PAGE_H = 595, 842  # A4 in points
SIZE = 16
LEADING = 28


def _is_arabic(line: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in line)


def _latin(line: str) -> bytes:
    escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("cp1252")


def build_pdf(pages: Sequence[Sequence[str]]) -> bytes:
    """A PDF whose pages hold ``pages[i]``'s lines as real text (an empty page has none)."""
    arabic_chars = sorted(
        {ch for page in pages for line in page if _is_arabic(line) for ch in line}
    )
    codes = {ch: 0x21 + i for i, ch in enumerate(arabic_chars)}
    if len(codes) > 200:
        raise ValueError("too many distinct Arabic characters for one simple font")

    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    helvetica = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    cmap_lines = [f"<{code:02X}> <{ord(ch):04X}>" for ch, code in codes.items()]
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"{len(cmap_lines)} beginbfchar\n" + "\n".join(cmap_lines) + "\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end\n"
    ).encode("ascii")
    to_unicode = add(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    last = 0x21 + max(len(codes) - 1, 0)
    widths = b" ".join(b"500" for _ in range(0x21, last + 1))
    arabic = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /DhakiraArabicTest /FirstChar 33 "
        b"/LastChar %d /Widths [%s] /ToUnicode %d 0 R >>" % (last, widths, to_unicode)
    )

    page_ids: list[int] = []
    for lines in pages:
        ops: list[bytes] = []
        y = PAGE_H - 72
        for line in lines:
            if _is_arabic(line):
                glyphs = bytes(codes[ch] for ch in reversed(line))  # visual order
                x = PAGE_W - 72 - len(glyphs) * SIZE * 0.5
                hexed = glyphs.hex().upper().encode("ascii")
                ops.append(b"BT /F2 %d Tf %.2f %d Td <%s> Tj ET" % (SIZE, x, y, hexed))
            else:
                ops.append(b"BT /F1 %d Tf 72 %d Td (%s) Tj ET" % (SIZE, y, _latin(line)))
            y -= LEADING
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>"
                % (pages_obj, PAGE_W, PAGE_H, content, helvetica, arabic)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)
