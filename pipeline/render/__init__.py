"""HTML -> PDF with WeasyPrint. WeasyPrint is imported here and by the two modules that
work inside its drawing (textlayer/, links.py) only.

- a URL fetcher that serves files from the project's layout, font, colour and asset
  folders only (no network, no file:///etc/...), plus data: URIs (`fetcher`);
- the PDF variant of the job's profile (PDF/X-4, PDF/X-1a, PDF/UA-1) and a finisher
  per profile kind that sets what WeasyPrint leaves out: exact Trim/BleedBox, crop
  marks outside the bleed in 100% K, the registered output condition,
  GTS_PDFXVersion; for screen copies the text layer and live links (`finish`);
- the QR code drawn as vectors (`qrdraw`), what was placed where (`layoutmap`);
- balanced columns found once per content, not once per document (`columns`);
- WeasyPrint's warnings (unsupported CSS, missing files) become Problems (`pdf`).
"""
from ..stages import Placed, Rendered
from .fetcher import ProjectFetcher
from .finish import FINISHERS, finish
from .layoutmap import layout_map
from .pdf import render_pdf, render_pdf_of

__all__ = ["Placed", "Rendered", "ProjectFetcher", "FINISHERS", "finish", "layout_map", "render_pdf", "render_pdf_of"]
