"""The pure helpers: bidi marks, tidying, script-based languages."""

from __future__ import annotations

from dhakira.text import detect_languages, strip_bidi, tidy


def test_strip_bidi_removes_every_control_mark() -> None:
    marks = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff"
    assert strip_bidi(f"{marks}دوما{marks} Douma{marks}") == "دوما Douma"
    assert strip_bidi("\u202bمستشفى\u202c") == "مستشفى"


def test_strip_bidi_keeps_joiners() -> None:
    # ZWNJ / ZWJ change Persian and Arabic spelling: they are not bidi controls.
    assert strip_bidi("می\u200cخواهم") == "می\u200cخواهم"


def test_tidy_squeezes_spaces_keeps_lines_and_pages() -> None:
    raw = "  Douma \t\u00a0 hospital  \r\n\r\n\r\n\r\nline\u2028two \x00\x07\fpage\u00a0two\n\n"
    assert tidy(raw) == "Douma hospital\n\nline\ntwo\fpage two"


def test_tidy_folds_presentation_forms_and_ligatures() -> None:
    # "دوما" as isolated/final presentation forms, as some PDFs give it; "ﬁeld" with a ligature.
    assert tidy("\ufea9\ufeee\ufee3\ufe8e \ufb01eld") == "دوما field"


def test_tidy_of_whitespace_only_is_empty() -> None:
    assert tidy(" \n\f\f \u200f\n") == ""


def test_languages_by_script_share() -> None:
    assert detect_languages("مستشفى دوما الميداني") == ("ar",)
    assert detect_languages("Douma field hospital") == ("en",)
    assert detect_languages("مستشفى دوما الميداني تعرض للقصف Douma hospital") == ("ar", "en")
    assert detect_languages("Douma field hospital was shelled دوما") == ("en", "ar")
    assert detect_languages("Больница в Думе") == ("ru",)


def test_languages_ignore_traces_and_digits() -> None:
    # OCR noise: a few Latin letters in a long Arabic text do not make it English.
    arabic = "مستشفى دوما الميداني تعرض للقصف في الغوطة الشرقية بريف دمشق " * 3
    assert detect_languages(arabic + " QUU0 ") == ("ar",)
    assert detect_languages("١٢٣ 2018 — !؟") == ("und",)
    assert detect_languages("") == ("und",)
