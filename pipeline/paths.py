"""The project's folders, defined once: every module that reads fonts, layouts, colour
profiles, assets or content finds them here (tests move them by patching the name where
it is used). Imports nothing of the pipeline, so anything may import it.
"""
from __future__ import annotations

from pathlib import Path

PIPELINE = Path(__file__).resolve().parent  # the pipeline's own source (part of the build's cache key)
ROOT = PIPELINE.parent  # the repository
LAYOUTS = ROOT / "layouts"  # templates, stylesheets, products.yaml
PROFILES = ROOT / "profiles"  # output profiles (press, screen, ...)
COLOUR = ROOT / "colour"  # ICC profiles
ASSETS = ROOT / "assets"  # logos and images the campaign names
FONTS = ROOT / "fonts"
CONTENT = ROOT / "content"  # campaign files
BRANDS = CONTENT / "brands"  # the project's brand files
PROOFS = ROOT / "proofs"  # the approved proof set
PROOF_LOGOS = ASSETS / "partners" / "proofs"  # logos of proofs not yet approved (git-ignored)
OUTPUT = ROOT / "output"


def stamp(path: Path) -> tuple[int, ...] | None:
    """What changes when a file is saved again or replaced (modification and change
    times, size, inode), None when there is no such file: what was read from a file
    is kept while its stamp stays (render/pdf.py's sheets, build/cache.py's hashes)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_ctime_ns, found.st_size, found.st_ino, found.st_dev
