"""The query language: parsing, errors, and the FTS5 expressions it becomes (run on real FTS5)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhakira.errors import DhakiraError
from dhakira.search.arabic import forms, normalise, stem_text
from dhakira.search.query import (
    MAX_QUERY_LENGTH,
    Filters,
    Query,
    QueryError,
    Term,
    excluded_fts5,
    parse,
    to_fts5,
)
from dhakira.search.translit import name_keys


def T(text: str, phrase: bool = False, prefix: bool = False) -> Term:
    return Term(text, phrase=phrase, prefix=prefix)


def words(q: Query) -> list[list[str]]:
    return [[t.text for t in clause] for clause in q.terms]


# --------------------------------------------------------------------------- terms


def test_bare_words_are_anded() -> None:
    q = parse("douma  hospital")
    assert q.terms == ((T("douma"),), (T("hospital"),))
    assert q.excluded == () and not q.filters and q.sort is None


def test_phrases() -> None:
    q = parse('"field hospital" douma')
    assert q.terms == ((T("field hospital", phrase=True),), (T("douma"),))


@pytest.mark.parametrize(
    "text", ["“field hospital”", "«field hospital»", "„field hospital“", "”field hospital”"]
)
def test_typographic_quotes(text: str) -> None:
    assert parse(text).terms == ((T("field hospital", phrase=True),),)


def test_unbalanced_quote_is_closed_at_the_end() -> None:
    assert parse('douma "field hosp').terms == ((T("douma"),), (T("field hosp", phrase=True),))


def test_quote_inside_a_word_starts_a_phrase() -> None:
    assert words(parse('a"b c"')) == [["a"], ["b c"]]


def test_empty_phrase_ignored() -> None:
    assert parse('"" douma " "').terms == ((T("douma"),),)


def test_or() -> None:
    q = parse("chlorine OR sarin douma")
    assert words(q) == [["chlorine", "sarin"], ["douma"]]
    assert words(parse("a | b")) == [["a", "b"]]
    assert words(parse('a OR "b c" OR d*')) == [["a", "b c", "d"]]


def test_lowercase_or_is_a_word() -> None:
    assert words(parse("a or b")) == [["a"], ["or"], ["b"]]


def test_dangling_or_and_keywords() -> None:
    assert words(parse("OR a OR")) == [["a"]]
    assert words(parse("a OR OR b")) == [["a", "b"]]
    assert words(parse("a AND b")) == [["a"], ["b"]]
    assert parse("a NOT b").excluded == (T("b"),)
    assert words(parse("NOT")) == []


def test_parentheses_group_alternatives() -> None:
    q = parse("(chlorine OR sarin) (douma OR ghouta)")
    assert words(q) == [["chlorine", "sarin"], ["douma", "ghouta"]]


def test_parentheses_are_distributed() -> None:
    # (a AND b) OR c  ==  (a OR c) AND (b OR c)
    assert words(parse("(a b) OR c")) == [["a", "c"], ["b", "c"]]
    assert words(parse("((a))")) == [["a"]]


def test_unbalanced_parentheses() -> None:
    assert words(parse("(a OR b")) == [["a", "b"]]
    assert words(parse("a) b)")) == [["a"], ["b"]]


def test_too_many_alternatives() -> None:
    q = " ".join(f"(a{i} OR b{i})" for i in range(5))
    assert len(parse(q).terms) == 5
    with pytest.raises(QueryError, match="too complex"):
        parse(" OR ".join(f"(a{i} b{i})" for i in range(8)))


def test_exclusions() -> None:
    q = parse('douma -funeral -"fake news" -(x OR y)')
    assert words(q) == [["douma"]]
    assert q.excluded == (T("funeral"), T("fake news", phrase=True), T("x"), T("y"))


def test_exclusion_errors() -> None:
    with pytest.raises(QueryError, match="outside parentheses"):
        parse("(a -b)")
    with pytest.raises(QueryError, match="exclude"):
        parse("-(a b)")
    with pytest.raises(QueryError, match="OR"):
        parse("a OR -b")


def test_prefix() -> None:
    assert parse("hosp*").terms == ((T("hosp", prefix=True),),)
    assert parse('"field hosp"*').terms == ((T("field hosp", phrase=True, prefix=True),),)
    assert parse("* ** -").terms == ()


def test_hyphens_and_plus() -> None:
    assert words(parse("al-Ghouta +douma")) == [["al-Ghouta"], ["douma"]]
    assert parse("- a").terms == ((T("-"),), (T("a"),)) or words(parse("- a")) == [["a"]]


def test_arabic_query() -> None:
    q = parse('مستشفى "الغوطة الشرقية" -جنازة قصف OR غارة مستش*')
    assert words(q) == [["مستشفى"], ["الغوطة الشرقية"], ["قصف", "غارة"], ["مستش"]]
    assert q.excluded == (T("جنازة"),)
    assert q.terms[3][0].prefix


def test_bidi_marks_in_query_ignored() -> None:
    assert words(parse("\u200fدوما\u200f \u202bحمص\u202c")) == [["دوما"], ["حمص"]]


def test_duplicates_removed() -> None:
    assert words(parse("a a b")) == [["a"], ["b"]]


def test_url_is_a_word() -> None:
    assert words(parse("https://example.org/x")) == [["https://example.org/x"]]


# --------------------------------------------------------------------------- filters


def test_contributor_and_collection() -> None:
    q = parse('contributor:Rami contributor:"Rami Jarrah" collection:«Douma 2018» douma')
    assert q.filters.contributor == ("Rami", "Rami Jarrah")
    assert q.filters.collection == ("Douma 2018",)
    assert words(q) == [["douma"]]


def test_field_names_are_case_insensitive_with_aliases() -> None:
    q = parse("Contributor:x TYPE:photo by:y language:arabic kind:movie")
    assert q.filters.contributor == ("x", "y")
    assert q.filters.type == ("image", "video")
    assert q.filters.lang == ("ar",)


def test_type() -> None:
    assert parse("type:video type:image").filters.type == ("video", "image")
    assert parse("type:video,audio,video").filters.type == ("video", "audio")
    assert parse("type:video OR type:image").filters.type == ("video", "image")
    with pytest.raises(QueryError, match="video"):
        parse("type:hologram")


def test_has_and_lang() -> None:
    q = parse("has:gps has:location lang:ar lang:EN")
    assert q.filters.has == ("gps",)
    assert q.filters.lang == ("ar", "en")
    with pytest.raises(QueryError, match="gps"):
        parse("has:wings")
    with pytest.raises(QueryError, match="language code"):
        parse("lang:klingon1")


def test_sort() -> None:
    assert parse("sort:date").sort == "newest"
    assert parse("sort:oldest sort:relevance").sort == "relevance"
    assert parse("a sort:date-asc").sort == "oldest"
    with pytest.raises(QueryError, match="sort"):
        parse("sort:size")


@pytest.mark.parametrize(
    ("value", "lo", "hi"),
    [
        ("2018", date(2018, 1, 1), date(2018, 12, 31)),
        ("2018-04", date(2018, 4, 1), date(2018, 4, 30)),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29)),
        ("2018-04-07", date(2018, 4, 7), date(2018, 4, 7)),
        ("2018/4/7", date(2018, 4, 7), date(2018, 4, 7)),
        ("2018-04-01..2018-04-10", date(2018, 4, 1), date(2018, 4, 10)),
        ("2018..2019", date(2018, 1, 1), date(2019, 12, 31)),
        ("..2018-04-10", None, date(2018, 4, 10)),
        ("2018-04..", date(2018, 4, 1), None),
        ("٢٠١٨-٠٤", date(2018, 4, 1), date(2018, 4, 30)),
    ],
)
def test_captured(value: str, lo: date | None, hi: date | None) -> None:
    f = parse(f"captured:{value}").filters
    assert (f.captured_from, f.captured_to) == (lo, hi)


def test_captured_exclusive_bound_and_iso() -> None:
    f = parse("captured:2018-04-01..2018-04-10").filters
    assert f.captured_before == date(2018, 4, 11)
    assert f.captured_iso() == ("2018-04-01", "2018-04-11")
    assert parse("captured:2018..").filters.captured_iso() == ("2018-01-01", None)
    assert parse("captured:..9999").filters.captured_before is None


def test_captured_ranges_intersect() -> None:
    f = parse("captured:2018 captured:2018-04..2019").filters
    assert (f.captured_from, f.captured_to) == (date(2018, 4, 1), date(2018, 12, 31))
    with pytest.raises(QueryError, match="overlap"):
        parse("captured:2018 captured:2019")


@pytest.mark.parametrize(
    "value", ["yesterday", "2018-13", "2018-02-30", "18-04-01", "..", "2019..2018", "0000"]
)
def test_captured_errors(value: str) -> None:
    with pytest.raises(QueryError, match="captured"):
        parse(f"captured:{value}")


def test_filter_errors() -> None:
    with pytest.raises(QueryError) as err:
        parse("colour:red")
    assert "unknown filter colour:" in str(err.value)
    assert "contributor:" in str(err.value) and '"colour:red"' in str(err.value)
    with pytest.raises(QueryError, match="needs a value"):
        parse("contributor: x")
    with pytest.raises(QueryError, match="parentheses"):
        parse("(a type:video)")
    with pytest.raises(QueryError, match="excluded"):
        parse("-type:video")
    with pytest.raises(QueryError, match="OR"):
        parse("a OR type:video")
    with pytest.raises(QueryError, match="OR"):
        parse("type:video OR has:gps")


def test_quoted_field_syntax_is_a_phrase() -> None:
    assert words(parse('"colour:red"')) == [["colour:red"]]
    assert words(parse("10:30")) == [["10:30"]]


def test_filters_only() -> None:
    q = parse("type:video")
    assert not q.has_text and not q.is_empty and bool(q.filters)
    assert parse("   ").is_empty
    assert not Filters()


def test_query_error_is_a_dhakira_error() -> None:
    with pytest.raises(DhakiraError) as err:
        parse("x" * (MAX_QUERY_LENGTH + 1))
    assert isinstance(err.value, QueryError) and err.value.http_status == 400
    with pytest.raises(QueryError, match="nested"):
        parse("(" * 50 + "a")


# --------------------------------------------------------------------------- to_fts5


def test_fts5_single_latin_word() -> None:
    assert to_fts5(parse("Douma")) == '{norm stem} : "douma"'


def test_fts5_arabic_word_uses_both_forms() -> None:
    assert to_fts5(parse("المستشفيات")) == '(norm : "المستشفيات" OR stem : "مستشف")'


def test_fts5_groups_phrases_prefix_and_exclusions() -> None:
    got = to_fts5(parse('"field hospital" (chlorine OR sarin) hosp* -funeral -"fake news"'))
    assert got == (
        '({norm stem} : "field hospital" AND ({norm stem} : "chlorine"'
        ' OR {norm stem} : "sarin") AND {norm stem} : "hosp" *)'
        ' NOT ({norm stem} : "funeral" OR (norm : "fake news" OR stem : "fake new"))'
    )


def test_fts5_keys_column() -> None:
    got = to_fts5(parse("Jobar"), keys_column="names")
    assert got == '({norm stem} : "jobar" OR names : (("jbr" OR "arjbr")))'
    got = to_fts5(parse("حمص"), keys_column="names")
    assert got == '({norm stem} : "حمص" OR names : (("gzhoms")))'
    got = to_fts5(parse('"hospital Jobar"'), keys_column="names")
    assert got == (
        '({norm stem} : "hospital jobar"'
        ' OR names : (("hsbtl" OR "arhsbtl") AND ("jbr" OR "arjbr")))'
    )


def test_fts5_words_forming_a_gazetteer_name() -> None:
    got = to_fts5(parse("Khan Sheikhoun attack"), keys_column="names")
    assert got == (
        '(({norm stem} : "khan" AND ({norm stem} : "sheikhoun" OR names : (("shn" OR "arshn"))))'
        ' OR names : ("gzkhanshaykhun" OR "argzkhanshaykhun")) AND {norm stem} : "attack"'
    )
    assert "gzkhanshaykhun" not in str(to_fts5(parse("Khan Sheikhoun")))  # no keys column
    assert "gzkhanshaykhun" not in str(to_fts5(parse("Khan* Sheikhoun"), keys_column="k"))


def test_fts5_custom_columns_and_functions() -> None:
    got = to_fts5(parse("A"), str.lower, str.upper, norm_column="n", stem_column="s")
    assert got == '(n : "a" OR s : "A")'
    with pytest.raises(ValueError):
        to_fts5(parse("a"), norm_column="x y")
    with pytest.raises(ValueError):
        to_fts5(parse("a"), keys_column="NOT")


def test_fts5_quotes_are_doubled() -> None:
    assert to_fts5(parse("＂a")) == '{norm stem} : """a"'


def test_fts5_nothing_to_match() -> None:
    assert to_fts5(parse("-douma type:video")) is None
    assert to_fts5(parse("")) is None
    assert to_fts5(parse("!!! ،")) is None
    assert excluded_fts5(parse("-douma -!!")) == '{norm stem} : "douma"'
    assert excluded_fts5(parse("douma")) is None


# --------------------------------------------------------------------------- on real FTS5

DOCS = {
    1: "قصف مستشفى بدوما في الغوطة الشرقية ٢٠١٨",
    2: "Field hospital in Douma, Eastern Ghouta, after the chlorine attack",
    3: "المستشفيات في حلب",
    4: "Funeral in Aleppo",
    5: "بيان عن سراقب والمدارس",
    6: "Kafranbel banners",
    7: "fake news about Raqqa",
    8: "هجوم كيميائي على خان شيخون",
    9: "مسؤول في الدفاع المدني",
    10: "Field hospitals and clinics",
}


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(norm, stem, names,"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    for rowid, text in DOCS.items():
        norm, stem = forms(text)
        conn.execute(
            "INSERT INTO fts(rowid, norm, stem, names) VALUES (?, ?, ?, ?)",
            (rowid, norm, stem, " ".join(name_keys(text))),
        )
    yield conn
    conn.close()


def search(conn: sqlite3.Connection, q: str) -> set[int]:
    query = parse(q)
    expr = to_fts5(query, keys_column="names")
    if expr is None:
        rows = set(DOCS)
        excluded = excluded_fts5(query)
        if excluded is not None:
            rows -= {
                r for (r,) in conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", [excluded])
            }
        return rows
    return {r for (r,) in conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", [expr])}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("douma", {1, 2}),
        ("دوما", {1, 2}),
        ("دُومَا", {1, 2}),
        ("Duma", {1, 2}),
        ("مستشفى", {1, 3}),
        ("المستشفيات", {1, 3}),
        ("hosp*", {2, 10}),
        ("مستش*", {1, 3}),
        ('"eastern ghouta"', {1, 2}),
        ('"الغوطة الشرقية"', {1, 2}),
        ("Aleppo", {3, 4}),
        ("حلب", {3, 4}),
        ("Saraqib", {5}),
        ("مدارس", {5}),  # والمدارس
        ("كفرنبل", {6}),
        ("chlorine OR funeral", {2, 4}),
        ("douma -chlorine", {1}),
        ('-"fake news"', {1, 2, 3, 4, 5, 6, 8, 9, 10}),
        ("Khan Sheikhoun", {8}),
        ("Khan Shaykhun", {8}),
        ("خان شيخون", {8}),
        ("مسئول", {9}),
        ("hospital", {2, 10}),
        ("hospitals", {2, 10}),
        ("Eastern Ghouta", {1, 2}),
        ("Ghouta", {1, 2}),
        ("الرقة", {7}),
        ("2018", {1}),
        ("douma aleppo", set()),
    ],
)
def test_search_on_fts5(db: sqlite3.Connection, q: str, expected: set[int]) -> None:
    assert search(db, q) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([*'"“”«»()-*|:+ ', " OR ", " NOT ", " AND ", "type:", "دوما", "x"]),
            st.characters(),
        ),
        max_size=40,
    ).map("".join)
)
def test_fuzz_parse_raises_only_query_error_and_fts5_is_valid(
    db: sqlite3.Connection, q: str
) -> None:
    try:
        query = parse(q)
    except QueryError:
        return
    for expr in (to_fts5(query, keys_column="names"), excluded_fts5(query)):
        if expr is not None:
            db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", [expr]).fetchone()


@given(st.text(max_size=200))
def test_fuzz_any_text(q: str) -> None:
    try:
        query = parse(q)
    except QueryError:
        return
    to_fts5(query, normalise, stem_text)
