"""What one partner's proof costs the proof worker, before and after issue 26: the
whole product rendered, checked and drawn at 96 dpi (as the portal did), against only
the sides a partner changes at the width the page shows (600 px), and of those only
the panels it changes (panels.py; `sides_cpu_s`: by sides alone, without panels).
CPU seconds of this process, median of a few proofs each, every product the campaign
offers partners; printed as JSON (bench/portal_load.py keeps it in portal-latest.json)."""
from __future__ import annotations

import io
import json
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import panels, partners  # noqa: E402

RUNS = 5


def main() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (600, 300), (200, 30, 120)).save(buf, "PNG", dpi=(300, 300))
    offer = partners.campaigns_for_partners(ROOT / "content")[0]
    counter = iter(range(1_000_000))

    def draft(product):  # a new contact line each time: nothing comes from a cache but the other sides
        return partners.PartnerDraft(campaign=offer.path, id="bench-cost", name="Bench Partner",
                                     contact=f"Open weekdays, line {next(counter)}", phone="", products=[product],
                                     logo_name="bench.png", logo=buf.getvalue())

    def cost(product, **kwargs) -> float:
        partners.proof(draft(product), product, **kwargs)  # warm: fonts, the campaign, the other sides
        times = []
        for _ in range(RUNS):
            started = time.process_time()
            partners.proof(draft(product), product, **kwargs)
            times.append(time.process_time() - started)
        return round(statistics.median(times), 3)

    result = {}
    for product in offer.products:
        sides = partners._partner_sides
        partners._partner_sides = lambda job, width: None  # before: every side, at 96 dpi
        try:
            before = cost(product)
        finally:
            partners._partner_sides = sides
        by_panels = panels.proof
        panels.proof = lambda *args: None  # by sides only: every changed side rendered whole
        try:
            sides = cost(product, width=600)
        finally:
            panels.proof = by_panels
        after = cost(product, width=600)
        result[product] = {"before_cpu_s": before, "sides_cpu_s": sides, "after_cpu_s": after,
                           "ratio": round(after / before, 2), "panels_vs_sides": round(after / sides, 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
