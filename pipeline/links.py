"""Live links in screen copies, as PDF/UA-1 wants them (issue 14).

The templates make the printed web address, every phone number and e-mail an
`<a href>` in screen copies only (filters `web`, `tel`, `mailto`, `keep_numbers` in
layouts.py). WeasyPrint 70 turns each into a Link annotation inside a /Link
structure element (an /OBJR to the annotation, /StructParent, an entry in the
ParentTree), with the bare target as /Contents. The finisher here:

- checks every target: tel:, mailto:, or exactly the job's screen tracking URL on
  the campaign's allow-list (a link never leads elsewhere than the code);
- writes a /Contents that describes the link in words ("Call 0808 802 0300"), from
  the printed text, not the target (a discreet card's link says no more than the
  card), in the document's language (labels.link_call, link_email, link_web);
- makes the QR code itself a link to the URL it encodes: an annotation over the
  image's box, and a /Link structure element around its /Figure.
"""
from __future__ import annotations

from urllib.parse import unquote

import pydyf
from weasyprint.formatting_structure import boxes

from .inputs import on_allow_list, tel_href
from .plan import Job
from .problems import Problem, RenderError

PT_PER_PX = 0.75
# Each kind of link's description: a label of the campaign (so in the document's
# language) and the placeholder the printed text goes into.
DESCRIPTIONS = {"tel": ("link_call", "{number}"), "mailto": ("link_email", "{address}"),
                "https": ("link_web", "{address}")}


def _number(reference) -> int:
    return int(bytes(reference if isinstance(reference, bytes) else str(reference).encode()).split()[0])


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def _boxes(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(child)


def allowed(job: Job, target: str) -> bool:
    """A screen copy's link may call, e-mail, or open the page its QR code opens."""
    scheme = target.split(":", 1)[0]
    if scheme in ("tel", "mailto"):
        return len(target) > len(scheme) + 1 and not any(c.isspace() for c in target)
    return target == job.qr_url and on_allow_list(target, job.page.allowed_hosts)


def _refuse(job: Job, what: str) -> RenderError:
    return RenderError([Problem("error", f"layouts/{job.spec.template}", what,
                                "links come from the `tel`, `mailto` and `web` filters only (layouts/_parts.html)",
                                check="links")])


def finish(job: Job, document, pdf: pydyf.PDF) -> None:
    for index, page in enumerate(document.pages):
        for box in _boxes(page._page_box):
            annotation = getattr(box, "link_annotation", None)
            if annotation is None:
                continue
            if box.element_tag == "a":
                _describe(job, box, annotation)
            else:  # a box inside the link (a <wbr>, its ::before): one link is one annotation
                _drop(pdf, pdf.page_references[index], annotation)
    _qr_links(job, document, pdf)


def refuse_in_press(job: Job, pdf: pydyf.PDF) -> None:
    """A press PDF carries no link (PDF/X: no interactive content); a literal <a href>
    typed into a template would make one."""
    for reference in pdf.page_references:
        if "Annots" in pdf.objects[_number(reference)]:
            raise _refuse(job, "a press PDF would carry a link or other annotation (an <a href> in the template?)")


def _drop(pdf: pydyf.PDF, page_reference, annotation) -> None:
    """Take an annotation WeasyPrint gave to a box inside a link out of the page and
    the structure tree (the link's own annotation covers the box)."""
    page = pdf.objects[_number(page_reference)]
    page["Annots"].remove(annotation.reference)
    if not page["Annots"]:
        del page["Annots"]
    key = annotation.get("StructParent")
    root = pdf.catalog.get("StructTreeRoot")
    if key is not None and root is not None:
        nums = pdf.objects[_number(pdf.objects[_number(root)]["ParentTree"])]["Nums"]
        i = nums[0::2].index(key) * 2
        element = pdf.objects[_number(nums[i + 1])]
        del nums[i:i + 2]
        for kid in list(element["K"]):
            if isinstance(kid, (bytes, str)):
                objr = pdf.objects[_number(kid)]
                if isinstance(objr, pydyf.Dictionary) and objr.get("Obj") == annotation.reference:
                    element["K"].remove(kid)
    # Both objects stay in the file, unreferenced: pydyf misnumbers compressed
    # object streams that hold free objects.


def _describe(job: Job, box, annotation) -> None:
    target = _target(annotation.get("A"))
    if not allowed(job, target):
        raise _refuse(job, f"a link leads to {target!r}: only tel:, mailto: and {job.qr_url!r}")
    shown = _text(box.element)
    if target.startswith("tel:") and tel_href(shown) != target:
        raise _refuse(job, f"a link shows {shown!r} but dials {target[4:]!r}: a link's target must be what it shows")
    if target.startswith("mailto:") and unquote(target[7:]) != shown:
        raise _refuse(job, f"a link shows {shown!r} but writes to {unquote(target[7:])!r}: "
                           "a link's target must be what it shows")
    label, placeholder = DESCRIPTIONS[target.split(":", 1)[0]]
    words = getattr(job.source.campaign.labels, label).replace(placeholder, _text(box.element))
    annotation["Contents"] = pydyf.String(words)
    x1, y1, x2, y2 = annotation["Rect"]  # WeasyPrint's runs top to bottom
    annotation["Rect"] = pydyf.Array([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])


def _target(action) -> str:
    if action is None or action.get("S") != "/URI":
        return ""
    uri = action["URI"]
    return uri.string if isinstance(uri, pydyf.String) else str(uri)


def _qr_links(job: Job, document, pdf: pydyf.PDF) -> None:
    """Each QR code links to what it encodes, inside the structure tree."""
    if not allowed(job, job.qr_url):
        return  # the preflight `qr` check says why; no link off the allow-list
    root = pdf.catalog.get("StructTreeRoot")
    if root is None:
        return
    root = pdf.objects[_number(root)]
    nums = pdf.objects[_number(root["ParentTree"])]["Nums"]
    next_key = max(nums[0::2], default=-1) + 1
    figures = [o for o in pdf.objects if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/StructElem"
               and o.get("S") == "/Figure" and isinstance(o.get("A"), pydyf.Dictionary)]
    for index, page in enumerate(document.pages):
        page_reference = pdf.page_references[index]
        pdf_page = pdf.objects[_number(page_reference)]
        for box in _boxes(page._page_box):
            if not (isinstance(box, boxes.ReplacedBox) and box.element is not None
                    and "qr" in (box.element.get("class") or "").split()):
                continue
            x1, y1 = box.content_box_x(), box.content_box_y()
            x2, y2 = x1 + box.width, y1 + box.height
            figure = next((f for f in figures if _number(f["Pg"]) == _number(page_reference)
                           and [float(v) for v in f["A"]["BBox"]] == [x1, y1, x2, y2]), None)
            if figure is None:
                continue
            description = str(box.element.get("alt") or job.source.campaign.labels.qr_alt.replace(
                "{address}", job.page.label))
            annotation = pydyf.Dictionary({
                "Type": "/Annot", "Subtype": "/Link",
                "Rect": pydyf.Array([round(v, 3) for v in (x1 * PT_PER_PX, (page.height - y2) * PT_PER_PX,
                                                           x2 * PT_PER_PX, (page.height - y1) * PT_PER_PX)]),
                "BS": pydyf.Dictionary({"W": 0}),
                "Contents": pydyf.String(description),
                "A": pydyf.Dictionary({"Type": "/Action", "S": "/URI", "URI": pydyf.String(job.qr_url)}),
                "StructParent": next_key,
            })
            pdf.add_object(annotation)
            pdf_page.setdefault("Annots", pydyf.Array()).append(annotation.reference)
            objr = pydyf.Dictionary({"Type": "/OBJR", "Obj": annotation.reference, "Pg": page_reference})
            pdf.add_object(objr)
            # The Link takes the Figure's place in its parent and holds it: the image is the link.
            parent = pdf.objects[_number(figure["P"])]
            link = pydyf.Dictionary({"Type": "/StructElem", "S": "/Link", "P": figure["P"], "Pg": page_reference,
                                     "K": pydyf.Array([figure.reference, objr.reference])})
            pdf.add_object(link)
            kids = parent["K"]
            kids[[_number(k) if isinstance(k, (bytes, str)) else None for k in kids].index(figure.number)] = \
                link.reference
            figure["P"] = link.reference
            nums.extend([next_key, link.reference])
            next_key += 1
    if "ParentTreeNextKey" in root:
        root["ParentTreeNextKey"] = next_key
