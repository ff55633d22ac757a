"""discussion.references: every accepted form, every refused one with a message naming it, remote
HTML extraction, citations; Hypothesis throws hostile strings at the parsers."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discussion import references
from discussion.references import Reference, ReferenceError, from_html, parse_field, parse_item

DOI = Reference("doi", "10.1056/nejmoa2034577")


@pytest.mark.parametrize(
    "text",
    [
        "doi:10.1056/NEJMoa2034577",
        "DOI: 10.1056/NEJMoa2034577",
        "doi 10.1056/NEJMoa2034577",
        "10.1056/NEJMoa2034577",
        "https://doi.org/10.1056/NEJMoa2034577",
        "http://dx.doi.org/10.1056/NEJMoa2034577",
        "  https://doi.org/10.1056%2FNEJMoa2034577  ",
    ],
)
def test_doi_forms(text):
    assert parse_item(text) == DOI


@pytest.mark.parametrize(
    "text",
    [
        "PMID: 12345678",
        "pmid 12345678",
        "PMID12345678",
        "pmid:012345678"[:13],
        "https://pubmed.ncbi.nlm.nih.gov/12345678/",
    ],
)
def test_pmid_forms(text):
    assert parse_item(text).kind == "pmid"
    assert parse_item(text).value.lstrip("0") == parse_item(text).value


def test_pmid_value_is_normalised():
    assert parse_item("PMID: 00042") == Reference("pmid", "42")
    assert parse_item("https://www.ncbi.nlm.nih.gov/pubmed/123") == Reference("pmid", "123")


def test_url_kept_as_given():
    assert parse_item("https://www.nice.org.uk/guidance/ng191?x=1,2") == Reference(
        "url", "https://www.nice.org.uk/guidance/ng191?x=1,2"
    )


def test_field_one_per_line_or_comma_separated_in_order_once():
    text = (
        "doi:10.1056/NEJMoa2034577, PMID: 12345678\nhttps://example.org/a,b; pmid 7\n\n10.1056/nejmoa2034577"
    )
    assert parse_field(text) == [
        DOI,
        Reference("pmid", "12345678"),
        Reference("url", "https://example.org/a,b"),
        Reference("pmid", "7"),
    ]


def test_empty_field_is_no_references():
    assert parse_field("") == [] and parse_field(" \n , ") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("doi:10.12/x", "“doi:10.12/x” is not a DOI"),  # 2-digit registrant
        ("10.1234", "“10.1234” is not a DOI"),
        ("10.1234/", "“10.1234/” is not a DOI"),
        ("https://doi.org/nope", "is not a DOI link"),
        ("PMID: 123456789", "“PMID: 123456789” is not a PubMed id"),
        ("PMID 0", "is not a PubMed id"),
        ("pmid twelve", "is not a PubMed id"),
        ("12345678", "write PMID 12345678"),
        ("javascript:alert(1)", "only http and https"),
        ("data:text/html,<script>", "only http and https"),
        ("ftp://example.org/file", "only http and https"),
        ("https://exa mple.org/", "is not a valid web address"),
        ("https://", "is not a valid web address"),
        ("www.example.org", "is not a DOI (10.1056/…), a PubMed id (PMID 12345678) or a web address"),
        ("see the NEJM paper", "“see the NEJM paper” is not a DOI"),
        ("https://example.org/\u202egnp.exe", "characters that cannot be part of a reference"),
        ("doi:10.1056/abc\x00", "characters that cannot be part of a reference"),
        ("https://example.org/" + "a" * 600, "too long for a reference"),
    ],
)
def test_bad_items_are_named(text, message):
    with pytest.raises(ReferenceError) as refused:
        parse_field(f"PMID 1\n{text}")
    assert message in refused.value.message


def test_more_than_ten_references():
    with pytest.raises(ReferenceError, match="At most 10 references: you gave 11"):
        parse_field("\n".join(f"PMID {n}" for n in range(1, 12)))
    assert len(parse_field("\n".join(f"PMID {n}" for n in range(1, 11)))) == 10
    assert len(parse_field("\n".join(["PMID 1"] * 30))) == 1  # the same one counts once


def test_field_too_long():
    with pytest.raises(ReferenceError, match="too long: at most 3000"):
        parse_field("PMID 1\n" + " " * 3000)


def test_a_long_item_is_cut_in_the_message():
    with pytest.raises(ReferenceError) as refused:
        parse_field("nonsense" * 20)
    assert "…" in refused.value.message and len(refused.value.message) < 200


def test_citations():
    assert DOI.href == "https://doi.org/10.1056/nejmoa2034577" and DOI.label == "doi:10.1056/nejmoa2034577"
    pmid = Reference("pmid", "12345678")
    assert pmid.href == "https://pubmed.ncbi.nlm.nih.gov/12345678/" and pmid.label == "PMID 12345678"
    url = Reference("url", "https://www.nice.org.uk/guidance/ng191")
    assert url.href == "https://www.nice.org.uk/guidance/ng191" and url.label == "nice.org.uk"
    odd = Reference("doi", '10.1234/a"b<c>d e')
    assert odd.href == "https://doi.org/10.1234/a%22b%3Cc%3Ed%20e"


# --- Remote HTML ----------------------------------------------------------------------------------


MASTODON = (
    '<p><span class="h-card" translate="no">'
    '<a href="https://example.test/@airway-rounds" class="u-url mention">'
    "@<span>airway-rounds</span></a></span> Agree; see doi:10.1056/NEJMoa2034577. Also PMID: 31234567, "
    '<a href="https://doi.org/10.1093/bja/aev371" rel="nofollow noopener" target="_blank">'
    '<span class="invisible">https://</span><span class="">doi.org/10.1093/bja/aev371</span></a> and '
    '<a href="https://www.nice.org.uk/guidance" rel="nofollow">nice</a> '
    '<a href="https://mastodon.example/tags/POCUS" class="mention hashtag" rel="tag">'
    "#<span>POCUS</span></a></p>"
)


def test_from_html_finds_links_and_patterns_but_not_mentions_or_hashtags():
    found = from_html(MASTODON)
    assert found == [
        Reference("doi", "10.1093/bja/aev371"),
        Reference("url", "https://www.nice.org.uk/guidance"),
        DOI,
        Reference("pmid", "31234567"),
    ]
    assert references.has_links(found)
    assert not references.has_links([f for f in found if f.kind != "url"])


def test_from_html_drops_bad_links_and_caps_at_ten():
    html = '<a href="javascript:alert(1)">x</a><a href="ftp://a/b">y</a>' + "".join(
        f'<a href="https://e{n}.example/">{n}</a>' for n in range(15)
    )
    found = from_html(html)
    assert len(found) == 10 and all(f.kind == "url" for f in found)


def test_from_html_of_nothing():
    assert from_html("") == [] and from_html("<p>Thanks!</p>") == []


# --- Hostile input --------------------------------------------------------------------------------

hostile = st.one_of(
    st.text(max_size=400),
    st.lists(
        st.one_of(
            st.sampled_from(
                ["doi:", "DOI ", "10.", "PMID:", "pmid ", "https://", "http://", "javascript:", "doi.org/"]
            ),
            st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
            st.from_regex(r"10\.\d{1,10}/[^\s]{0,20}", fullmatch=True),
            st.from_regex(r"[0-9]{0,10}", fullmatch=True),
            st.sampled_from([",", ";", "\n", "\r\n", " ", "\x00", "\u202e", "<script>", '"', "%2F"]),
        ),
        max_size=25,
    ).map("".join),
)


def _check(found: list[Reference]) -> None:
    assert len(found) <= references.MAX_REFERENCES
    assert len(set(found)) == len(found)
    for reference in found:
        assert reference.kind in {"doi", "pmid", "url"}
        assert 0 < len(reference.value) <= references.MAX_ITEM_CHARS
        assert not any(ch.isspace() for ch in reference.href)
        assert '"' not in reference.href and "<" not in reference.href
        if reference.kind == "doi":
            assert (
                references.DOI_PATTERN.fullmatch(reference.value)
                and reference.value == reference.value.lower()
            )
            assert reference.href.startswith("https://doi.org/10.")
        elif reference.kind == "pmid":
            assert reference.value.isascii() and reference.value.isdigit() and len(reference.value) <= 8
            assert reference.href == f"https://pubmed.ncbi.nlm.nih.gov/{reference.value}/"
        else:
            assert reference.value.lower().startswith(("http://", "https://"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_parse_field_accepts_or_names_the_problem(text):
    try:
        found = parse_field(text)
    except ReferenceError as error:
        assert error.message and "\x00" not in error.message and "\u202e" not in error.message
        return
    _check(found)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile, hostile)
def test_from_html_never_fails(text, href):
    html = f'<p>{text}<a href="{href}">{text}</a><a class="mention" href="{href}">m</a></p>'
    _check(from_html(html))
