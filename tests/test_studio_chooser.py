"""The studio's product chooser speaks the designer's language: products by their
names in layouts/products.yaml, largest first."""
from __future__ import annotations

from html.parser import HTMLParser

import yaml

from .test_preflight import layouts_copy
from .test_studio import get, studio


class _Options(HTMLParser):
    """(value, label) of each <option> of the select named `product`."""

    def __init__(self):
        super().__init__()
        self.options: list[list[str]] = []
        self._in_select = self._in_option = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._in_select = attrs.get("name") == "product"
        elif tag == "option" and self._in_select:
            self._in_option = True
            self.options.append([attrs.get("value", ""), ""])

    def handle_endtag(self, tag):
        if tag == "option":
            self._in_option = False
        elif tag == "select":
            self._in_select = False

    def handle_data(self, data):
        if self._in_option:
            self.options[-1][1] += data


def test_products_by_their_names_largest_first(tmp_path):
    layouts = layouts_copy(tmp_path, {})
    spec = yaml.safe_load((layouts / "products.yaml").read_text())
    with studio(layouts) as base:
        parser = _Options()
        parser.feed(get(base + "/").decode())
    chosen = [(value, label) for value, label in parser.options if value]
    assert chosen, "no product in the chooser"
    for value, label in chosen:
        assert label == spec[value]["name"], (value, label)
    def trim(size):  # a screen size gives its pixels, at 96 to the inch
        return size.get("trim_mm") or [px * 25.4 / 96 for px in size["screen"]["pixels"]]
    largest = {value: max(w * h for w, h in (trim(s) for s in spec[value]["sizes"].values()))
               for value, _ in chosen}
    areas = [largest[value] for value, _ in chosen]
    assert areas == sorted(areas, reverse=True), chosen
