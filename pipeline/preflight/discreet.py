"""Check of discreet products: nothing printed, in the PDF's metadata or in the code's
address says what the product is about.
"""
from __future__ import annotations

import io

import pikepdf

from ..content import discreet_phrases, folded
from ..problems import Problem
from .subject import Subject, _content, _label


def check_discreet(s: Subject) -> list[Problem]:
    """Nothing readable on either side of a discreet product says what it is about,
    nor its PDF's title, subject, keywords or author (a viewer shows them), nor the
    address its code opens (it stays in the phone's history): someone who finds it
    in a bag or a wallet may be the person its owner fears. Words are matched as a
    reader reads them: accents, digits for letters and look-alikes folded."""
    if not s.job.spec.options.get("discreet"):
        return []
    c = s.job.source.campaign
    phrases = discreet_phrases(c, s.job.source.brand.force)  # as `check` reads the discreet fields

    def revealed(text: str) -> list[str]:
        readings = folded(" ".join(text.split()))
        return c.reveals(text) + [p for p in phrases if any(p in reading for reading in readings)]

    problems = []
    for item in _content(s):
        if item.kind == "qr" and item.page == 1:
            problems.append(s.problem("error", "the outside of a discreet product carries the QR code",
                                      "put the code inside", item, check="discreet"))
        if item.kind != "text":
            continue
        found = revealed(item.text)
        if found:
            problems.append(s.problem("error", f"a discreet product says {_label(item)} ({found[0]!r} reveals "
                                               "what it is about)",
                                      "print neutral words only (support[].discreet_name, "
                                      "partner discreet_contact): someone may be searched or watched",
                                      item, check="discreet"))
    found = revealed(s.job.qr_url)
    if found:
        problems.append(s.problem("error", f"the QR code of a discreet product opens {s.job.qr_url} ({found[0]!r} "
                                           "reveals what it is about, in the phone's history)",
                                  "give the campaign a neutral qr.discreet_url that the force redirects",
                                  check="discreet"))
    for key, value in _metadata(s.rendered.pdf).items():
        found = revealed(value)
        if found:
            problems.append(s.problem("error", f"the PDF's {key} {value!r} reveals what a discreet product is "
                                               f"about ({found[0]!r}): a PDF viewer shows it",
                                      "a discreet product's title is labels.useful_numbers; set no other metadata "
                                      "in its template", check="discreet"))
    return problems


def _metadata(pdf: bytes) -> dict[str, str]:
    """The document information and XMP text a viewer shows (title, subject, ...)."""
    out = {}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for key in ("/Title", "/Subject", "/Keywords", "/Author"):
            if key in doc.docinfo:
                out[key[1:].lower()] = str(doc.docinfo[key])
        if "/Metadata" in doc.Root:
            with doc.open_metadata() as xmp:
                for key in ("dc:title", "dc:description", "dc:subject", "pdf:Keywords", "dc:creator"):
                    value = xmp.get(key)
                    if value:
                        out[f"XMP {key}"] = " ".join(map(str, value)) if isinstance(value, (list, set)) else str(value)
    return out
