"""What a build lists: each output's manifest entries, what was made written into the new
generation (`deliver`), the earlier build's entries kept, manifest.json/.csv and print-order.csv."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..plan import media_bleed_mm
from ..plan import Job
from ..problems import Problem
from ..report import thumbnail_name
from ..webpage import WebPage
from .cache import file_hash
from .store import inside, write_atomically
from .worker import Made


@dataclass
class Output:
    """One PDF of this build (built now, or kept from an earlier build: `cached`)."""

    job: Job
    sha256: str
    pages: int
    problems: list[Problem]
    input_hash: str
    imposed: dict | None = None  # the manifest entry of its imposed press sheet
    beside: list[dict] | None = None  # the manifest entries of the files made with it (job.beside)
    cached: bool = False
    rejected: bool = False  # failed preflight: written beside the last good PDF, never printed

    @property
    def path(self) -> str:
        return self.job.rejected_output if self.rejected else self.job.output

    def notes(self) -> list[Problem]:
        """What the build itself has to say about this output (not a preflight check)."""
        if self.job.stand_in and self.job.profile.spec.output == "print":
            return [Problem("warning", self.path, f"the logo {self.job.partner.logo} is a stand-in: "
                            "this PDF is a proof only and is left out of print-order.csv",
                            "put the partner's real logo in assets/ and name it in the campaign",
                            check="stand-in")]
        return []

    def manifest_entries(self) -> list[dict]:
        job = self.job
        width, height = job.trim_mm
        bleed, media = job.profile.spec.bleed_mm, media_bleed_mm(job)
        entry = {
            "path": self.path,
            "product": job.product,
            "size": job.size,
            **variant_fields(job),
            "output": job.profile.spec.output,
            "pages": self.pages,
            "trim_mm": [width, height],
            "bleed_mm": bleed,
            "boxes_mm": {
                "trim": [width, height],
                "bleed": [width + 2 * bleed, height + 2 * bleed],
                "media": [width + 2 * media, height + 2 * media],
            },
            "sha256": self.sha256,
            "copies": job.copies if job.profile.spec.output == "print" else None,
            "print_note": job.spec.print_note if job.profile.spec.output == "print" else None,
            "input_hash": self.input_hash,
            "preflight": {"errors": sum(p.level == "error" for p in self.problems),
                          "warnings": sum(p.level == "warning" for p in self.problems)},
            "rejected": self.rejected,
            "stand_in": job.stand_in,
        }
        if job.social:
            entry.update(image_fields(job, "image/png"))
        return [entry] + ([self.imposed] if self.imposed else []) + (self.beside or [])


def image_fields(job: Job, media_type: str) -> dict:
    """What a social image's entry adds: its media type and pixels; published, never
    printed (print-order.csv lists it with `deliver: publish`)."""
    return {"media_type": media_type, "pixels": list(job.spec.sizes[job.size].screen.pixels), "deliver": "publish"}


def variant_fields(job: Job) -> dict:
    """The manifest fields that say which variant, profile and link a file is."""
    return {
        "variant": job.variant,
        "district": job.district.name if job.district else None,
        "partner": job.partner.id if job.partner else None,
        # A bilingual product names both languages, in reading order: "cy+en-GB".
        "language": "+".join(c.language for c in job.source.languages) if job.spec.options.get("bilingual")
                    else job.language or job.source.campaign.language,
        "statistic": job.statistic,
        "profile": job.profile.name,
        "pdf_variant": job.profile.spec.pdf_variant,
        "qr_url": job.qr_url,
        # The short code in qr_url (?c=...) and what it stands for, for web analysts;
        # None when the campaign does not track its codes (no qr.utm).
        "tracking_code": job.tracking_code if job.tracking else None,
        "tracking": job.tracking,
    }

def deliver(job: Job, made: Made, key: str, folder: Path) -> Output:
    """Write what was made into `folder`, the new generation of the campaign's folder,
    each file by rename. A rejected PDF goes to `*.rejected.pdf`."""
    path = job.rejected_output if made.rejected else job.output
    for number, png in enumerate(made.thumbnails, 1):
        write_atomically(inside(folder, thumbnail_name(path, number)), png)
    if made.pdf is not None:
        write_atomically(inside(folder, path), made.pdf)
    imposed = None
    if made.imposed is not None:
        spec = job.spec.impose
        sheet_path = f"{job.folder}{job.base_name}{job.profile.suffix}-imposed-{spec.name}.pdf"
        write_atomically(inside(folder, sheet_path), made.imposed)
        imposed = {"path": sheet_path, "product": f"imposed-{job.product}", "size": spec.name,
                   **variant_fields(job), "output": "print", "pages": job.spec.pages,
                   "trim_mm": list(spec.sheet_mm), "bleed_mm": 0,
                   "boxes_mm": {"trim": list(spec.sheet_mm), "bleed": list(spec.sheet_mm),
                                "media": list(spec.sheet_mm)},
                   "sha256": hashlib.sha256(made.imposed).hexdigest(), "copies": None,
                   "imposed_from": job.output, "up": spec.columns * spec.rows}
    beside = []
    for kind, file in job.beside.items():
        data = (made.beside or {}).get(file)
        if data is None:
            continue  # a rejected image: its last good JPEG and alt text stay as they were
        write_atomically(inside(folder, file), data)
        beside.append({"path": file, "product": job.product, "size": job.size, **variant_fields(job),
                       "output": job.profile.spec.output, "pages": None, "trim_mm": None, "bleed_mm": None,
                       "boxes_mm": None, "sha256": hashlib.sha256(data).hexdigest(), "copies": None,
                       "made_from": job.output,
                       **image_fields(job, "image/jpeg" if kind == "jpeg" else "text/plain")})
    return Output(job, made.sha256, made.pages, made.problems, key, imposed, beside=beside, rejected=made.rejected)


def earlier_entries(folder: Path) -> dict[str, tuple[dict, list[Problem]]]:
    """The previous build's manifest entries and preflight problems, by path."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        report = json.loads((folder / "preflight.json").read_text())
    except (OSError, ValueError):
        return {}
    problems: dict[str, list[Problem]] = {}
    for p in report.get("problems", []):
        problems.setdefault(p["file"], []).append(Problem(**{**p, "box_mm": tuple(p["box_mm"]) if "box_mm" in p else None}))
    return {e["path"]: (e, problems.get(e["path"], [])) for e in manifest.get("outputs", [])}


def imposed_entry(earlier: dict, path: str) -> dict | None:
    return next((e for e, _ in earlier.values() if e.get("imposed_from") == path), None)


def beside_entries(earlier: dict, path: str) -> list[dict]:
    """The earlier entries of the files made with `path` (a social image's JPEG and alt text)."""
    return [e for e, _ in earlier.values() if e.get("made_from") == path]


def unchanged(entry: dict, job: Job, key: str, folder: Path) -> bool:
    pdf = folder / job.output
    if entry.get("input_hash") != key or pdf.is_symlink() or not pdf.is_file():  # a planted link is rebuilt
        return False
    thumbnails = [folder / thumbnail_name(job.output, n) for n in range(1, entry["pages"] + 1)]
    beside = [folder / file for file in job.beside.values()]
    return file_hash(pdf) == entry["sha256"] and all(f.is_file() and not f.is_symlink() for f in thumbnails + beside)


def merge(earlier: dict, outputs: list[Output], folder: Path) -> list[dict]:
    """This build's entries, plus earlier ones whose files are still there (a build
    of a subset keeps the rest of the folder listed). A job that now passes
    preflight takes its earlier rejected PDF away."""
    entries = {e["path"]: e for o in outputs for e in o.manifest_entries()}
    passed = {o.job.rejected_output for o in outputs if not o.rejected}
    for path, (entry, _) in earlier.items():
        if path in passed:
            # The folder it is in, checked inside; the name itself unlinked, never followed.
            (inside(folder, str(Path(path).parent)) / Path(path).name).unlink(missing_ok=True)
        elif path not in entries and (folder / path).is_file():
            entries[path] = entry
    return [entries[p] for p in sorted(entries)]


def merged_problems(earlier: dict, outputs: list[Output], entries: list[dict]) -> list[Problem]:
    built = {o.job.output for o in outputs}
    problems = [p for o in outputs for p in o.problems]
    for entry in entries:
        if entry["path"] not in built and entry["path"] in earlier:
            problems += earlier[entry["path"]][1]
    return problems


MANIFEST_COLUMNS = ["path", "product", "size", "district", "partner", "language", "statistic", "profile",
                    "pdf_variant", "pages", "trim_mm", "copies", "sha256", "qr_url", "tracking_code"]


def write_manifest(folder: Path, job: Job | WebPage, entries: list[dict], write) -> None:
    """manifest.json, manifest.csv (for a print buyer) and print-order.csv."""
    manifest = {"campaign": job.source.slug, "name": job.source.campaign.name,
                "pipeline_version": __version__, "languages": _languages(entries), "outputs": entries}
    write(folder / "manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    write(folder / "manifest.csv", _csv(MANIFEST_COLUMNS, entries))
    # What to print, with copies, then the images to publish (a social post, no copies).
    write(folder / "print-order.csv", _csv(
        ["district", "partner", "language", "product", "size", "copies", "path", "deliver", "print_note"],
        [{**e, "deliver": "print"} for e in entries if printable(e) and e.get("copies") and not e.get("imposed_from")]
        + [e for e in entries if publishable(e)]))


def _languages(entries: list[dict]) -> list[dict]:
    """Each language's files and the copies the print order holds of them."""
    out: dict[str, dict] = {}
    for entry in entries:
        if entry.get("language"):
            row = out.setdefault(entry["language"], {"language": entry["language"], "files": 0, "copies": 0})
            row["files"] += 1
            if printable(entry) and entry.get("copies") and not entry.get("imposed_from"):
                row["copies"] += entry["copies"]
    return [out[code] for code in sorted(out)]


def printable(entry: dict) -> bool:
    """May go to the printer: a press file that passed preflight, with no stand-in logo."""
    return (entry["output"] == "print" and not entry.get("rejected") and not entry.get("stand_in")
            and entry.get("preflight", {}).get("errors", 0) == 0)


def publishable(entry: dict) -> bool:
    """A social image (PNG or JPEG, not its alt text) that passed preflight."""
    return (entry.get("deliver") == "publish" and entry.get("media_type", "").startswith("image/")
            and not entry.get("rejected") and entry.get("preflight", {}).get("errors", 0) == 0)


# A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): a district
# named =HYPERLINK("https://evil.example","York") must print as text, not a link.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell as text a spreadsheet shows and does not run: a leading ' where the
    cell would begin a formula (numbers are numbers, so never changed)."""
    if isinstance(value, str) and (value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START)):
        return "'" + value
    return value


def _csv(columns: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe("x".join(f"{v:g}" for v in row[k]) if isinstance(row.get(k), list)
                                             else row.get(k))
                         for k in columns})
    return out.getvalue().encode()
