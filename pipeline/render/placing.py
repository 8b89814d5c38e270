"""Where a district variant's texts and link targets go in the tree kept for its shape
(render/cascade.py): each into the node or attribute holding the kept one, found by its
place where the parser left the text as written; and whether a stylesheet's selector
reads the link targets (then they are part of the shape)."""
from __future__ import annotations

import html as html_text
import re

_NUMBER = re.compile(r"&#(?:[xX][0-9a-fA-F]+|[0-9]+);?")
_NAMED_IN_VALUE = re.compile(r"&(?!#|(?:amp|lt|gt|quot|apos);)")


def _decoded(segment: str, value: bool = False) -> str | None:
    """A text between tags (or an attribute value) as the HTML parser reads it; None where
    html.unescape might read it otherwise: a NUL (dropped), a control character's number
    (kept), in a value a named reference the parser leaves as written (`&sect=`)."""
    if "\x00" in segment or any(not html_text.unescape(n) for n in _NUMBER.findall(segment)) or (
            value and _NAMED_IN_VALUE.search(segment)):
        return None
    return html_text.unescape(segment.replace("\r\n", "\n").replace("\r", "\n"))


def slots(root, texts: list[str]) -> dict:
    """Each non-blank text of the HTML and the tree node holding it, by order; none when the
    parser moved, merged or changed a text (tables, a newline after <pre>, an end tag left over)."""
    nodes: list[tuple] = []

    def walk(element) -> None:
        if isinstance(element.tag, str) and element.tag.split("}")[-1] not in ("style", "script") \
                and (element.text or "").strip():
            nodes.append((element, "text"))
        for child in element:
            walk(child)
            if (child.tail or "").strip():
                nodes.append((child, "tail"))

    walk(root)
    said = [(i, text) for i, t in enumerate(texts) if (text := _decoded(t)) is None or text.strip()]
    if [text for _, text in said] != [getattr(*node) for node in nodes]:
        return {}
    return {i: node for (i, _), node in zip(said, nodes)}


def places(parsed, style_for, values: list[str]) -> list | None:
    """Each masked value's element and attribute, by order; None when the tree holds
    others or a stylesheet's selector reads one (then the values are part of the shape)."""
    found = [(e, "href") if e.tag == "a" else (e, "src") for e in parsed.etree_element.iter()
              if e.tag == "a" and e.get("href") is not None or e.tag == "img" and "qr" in e.get("class", "").split()]
    if [e.get(name) for e, name in found] != [_decoded(v, value=True) for v in values]:
        return None
    try:
        for element, name in found:
            element.set(name, _Unread())
        for wrapper in parsed.wrapper_element.iter_subtree():
            for sheet, *_ in style_for._sheets:
                sheet.matcher.match(wrapper)
    except Exception:  # a selector read a value
        return None
    finally:
        for (element, name), value in zip(found, values):
            element.set(name, _decoded(value, value=True))
    return found


class _Unread:
    """A masked value while the shape's selectors are tried: anything but asking whether
    the attribute is there raises."""
    def _read(self, *args):
        raise LookupError("a selector reads this value")

    __eq__ = __ne__ = __contains__ = __len__ = __iter__ = __str__ = __getattr__ = _read
    __hash__ = None


def place(kept, texts: list[str], values: list[str]) -> bool:
    """This variant's texts and values put into the nodes holding the kept ones; False
    (nothing changed) unless each changed text has its own place and reads as written,
    and each changed value too, one old value becoming one new value."""
    placed = []
    current = [getattr(*node) for node in kept.slots.values()]
    for i, (old, new) in enumerate(zip(kept.texts, texts)):
        if old == new:
            continue
        node, text = kept.slots.get(i), _decoded(new)
        if node is None or not (text or "").strip() or current.count(getattr(*node)) != 1:
            return False  # a blank text coming or going (:empty), or which node is which cannot be told
        if node[1] == "text" and node[0].tag in ("pre", "listing", "textarea") and text.startswith("\n"):
            return False  # the parser drops a newline after the start tag
        placed.append((*node, text))
    if values != kept.values:
        news, pairs = [_decoded(v, value=True) for v in values], {}
        if kept.places is None or None in news:
            return False
        for (element, name), new in zip(kept.places, news):
            if pairs.setdefault(element.get(name), new) != new:
                return False
            placed.append((element, name, new))
    for element, where, text in placed:
        if where in ("text", "tail"):
            setattr(element, where, text)
        else:
            element.set(where, text)
    return True
