"""A designer's mistake at the line of their own file that makes it
(pipeline/sources.py): CSS brackets left open, a Jinja block left open, a missing
image; and in a build, not only in the studio."""
from __future__ import annotations

from pipeline.cli import main
from pipeline.sources import opened_at, unclosed_bracket

from .conftest import DEFAULT_CAMPAIGN
from .test_preflight import layouts_copy


def test_an_unclosed_bracket_is_found_where_it_opens_as_css_reads_it():
    assert unclosed_bracket(".a { color: red; }\n.b { margin: 0 }\n", "x.css") is None
    # Brackets in comments, strings and escapes are not brackets.
    assert unclosed_bracket('/* { */ .a::before { content: "}{(" }\n.b\\{ { x: y }\n', "x.css") is None
    missing = unclosed_bracket(".a { color: red; }\n.b {\n  margin: 0;\n.c { x: y }\n", "x.css")
    assert (missing.file, missing.line, missing.check) == ("x.css", 2, "css-syntax") and "`{`" in missing.what
    # Inside `var(` a `}` does not close the rule: the `(` is the mistake.
    value = unclosed_bracket(".a {\n  color: var(--accent;\n}\n.b { x: y }\n", "x.css")
    assert value.line == 2 and "`(` is never closed with `)`" in value.what


def test_a_jinja_block_left_open_is_found_at_the_tag_that_opens_it():
    source = "{% block body %}\n{% if a %}x{% endif %}\n{% for i in b %}\n{% if c %}\n{% endfor %}\n{% endblock %}\n"
    assert opened_at(source, "if", 5) == 4  # Jinja stops at the {% endfor %} on line 5
    assert opened_at("{% set x = 1 %}\n{% if a %}\n", "if", 3) == 2  # a `set` with a value has no end


def line_of(path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_build_names_the_stylesheet_and_template_lines(tmp_path, capsys):
    layouts = layouts_copy(tmp_path, {
        "poster-a3.css": ("html { font-size: 15.5pt; }", "html { font-size: 15.5pt;"),
        # A var() with no value: said by WeasyPrint while laying out, without the file.
        "poster-a4.css": (".qr {", ".strapline { color: var(--no-such-colour); }\n.qr {"),
        # A value WeasyPrint's parser fails on (an AssertionError inside it).
        "wallet-card.css": (".sheet {", ".sheet { width: calc(1px + ); }\n.sheet {"),
        "leaflet-a5.html": ("{% block sheets %}", "{% block sheets %}<img src=\"../assets/no-such-photo.png\" alt=\"\">"),
    })
    code = main(["preflight", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path / "out"), "--only", "poster",
                 "--only", "leaflet-a5", "--only", "wallet-card", "--profile", "press", "--layouts", str(layouts),
                 "--district", "none", "--partner", "none", "--language", "none"])
    said = capsys.readouterr()
    text = said.out + said.err
    assert code == 1
    assert f"layouts/poster-a3.css:{line_of(layouts / 'poster-a3.css', 'html {')}: `{{` is never closed" in text, text
    assert f"layouts/poster-a4.css:{line_of(layouts / 'poster-a4.css', 'no-such-colour')}: WeasyPrint: Ignored `color: `" \
        in text, text
    assert f"layouts/wallet-card.css:{line_of(layouts / 'wallet-card.css', 'calc(1px + )')}: WeasyPrint could not read " \
        "this stylesheet" in text, text
    image = line_of(layouts / "leaflet-a5.html", "no-such-photo")
    assert f"layouts/leaflet-a5.html:{image}: WeasyPrint: Failed to load image" in text, text
