"""The worked example in layouts/README.md works as written: a designer who follows
it (add an A6 postcard) gets a product that builds with 0 preflight errors."""
from __future__ import annotations

import re

from .conftest import ROOT
from .test_preflight import errors, layouts_copy, run_preflight

README = ROOT / "layouts" / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def test_the_worked_postcard_builds_clean_on_press_and_screen(tmp_path):
    products, = [b for b in blocks("yaml") if "postcard:" in b]
    template, = blocks("html")
    css, = blocks("css")
    layouts = layouts_copy(tmp_path, {})
    (layouts / "products.yaml").write_text((layouts / "products.yaml").read_text() + "\n" + products)
    (layouts / "postcard.html").write_text(template)
    (layouts / "postcard.css").write_text(css)
    # The campaign asks for it (README: "list their products in the campaign file").
    minimal = (ROOT / "content" / "examples" / "minimal.yaml").read_text()
    campaign = tmp_path / "content" / "talk-to-us.yaml"
    campaign.parent.mkdir()
    campaign.write_text(minimal.replace("products: [poster]", "products: [poster, postcard]"))
    for profile in ("press", "screen"):
        code, report = run_preflight(tmp_path / profile, "--only", "postcard", "--profile", profile,
                                     content=campaign, layouts=layouts)
        assert [o["path"] for o in report["outputs"]] == [f"postcard{'-screen' if profile == 'screen' else ''}.pdf"]
        assert code == 0 and report["errors"] == 0, report["problems"]
        assert not errors(report, "qr")
