"""Benchmark: PDF text extractors on real PDFs — speed and glued words.

For each PDF, the text of every page is extracted with pypdf (plain and ``layout`` mode),
raw pypdfium2, and the product's extraction (pypdfium2 + headers/footers out, hyphens joined,
lines reflowed). Glued words are measured against a reference vocabulary taken from the same
document's HTML edition (Debian ships both): a word of ≥ 4 letters that the HTML never uses is
"unknown"; a long unknown word (≥ 18 letters) is almost always several words run together
("ZeitpunktderletztenÄnderung"). Times are reported as ratios to pypdf in the same run.

Run: .venv/bin/python benchmarks/bench_extract.py [PDF HTML]...
     (default: the German Debian manuals unpacked into /tmp/debdocs; see docs/extraction.md;
     a HTML argument may be a folder of pages)
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import Settings  # noqa: E402
from assistant.extract import extract_sections  # noqa: E402

ROOT = Path("/tmp/debdocs/usr/share")
DEFAULT = [
    (ROOT / "debian-reference/debian-reference.de.pdf", ROOT / "debian-reference"),
    (
        ROOT / "developers-reference/de/developers-reference.pdf",
        ROOT / "developers-reference/de/developers-reference.html",
    ),
    (
        ROOT / "doc/debian-edu-doc-de/debian-edu-bookworm-manual.pdf",
        ROOT / "doc/debian-edu-doc-de/debian-edu-bookworm-manual.html",
    ),
    (
        ROOT / "doc/debian-edu-doc-de/debian-edu-bullseye-manual.pdf",
        ROOT / "doc/debian-edu-doc-de/debian-edu-bullseye-manual.html",
    ),
]
WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{4,}")
LONG = 18


def pypdf_text(path: Path, mode: str = "plain") -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if mode == "layout":
        return "\n".join(p.extract_text(extraction_mode="layout") or "" for p in reader.pages)
    return "\n".join(p.extract_text() or "" for p in reader.pages)


def pdfium_text(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    out = []
    for page in pdf:
        textpage = page.get_textpage()
        out.append(textpage.get_text_range())
        textpage.close()
        page.close()
    pdf.close()
    return "\n".join(out).replace("\ufffe", "-\n")


def product_text(path: Path) -> str:
    sections = extract_sections(path, Settings())
    return "\n".join([s.title for s in sections] + [p.text for s in sections for p in s.paragraphs])


def vocabulary(html_path: Path) -> set[str]:
    """Words of the HTML edition (a file, or a folder of ``*.html`` pages)."""
    files = sorted(html_path.glob("*.html")) if html_path.is_dir() else [html_path]
    raw = " ".join(f.read_text(encoding="utf-8", errors="replace") for f in files)
    raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
    text = html.unescape(re.sub(r"<[^>]+>", " ", raw))
    return {w.casefold() for w in WORD.findall(text)}


def glue_stats(text: str, vocab: set[str]) -> dict:
    # Words split by a hyphen at a line end in raw output are not counted as glue.
    words = WORD.findall(text)
    unknown = [w for w in words if w.casefold() not in vocab]
    long_unknown = [w for w in unknown if len(w) >= LONG]
    return {
        "words": len(words),
        "unknown_share": round(len(unknown) / max(len(words), 1), 4),
        "long_unknown_per_1000": round(1000 * len(long_unknown) / max(len(words), 1), 2),
        "examples": sorted(set(long_unknown), key=len, reverse=True)[:3],
    }


def timed(fn, path: Path) -> tuple[str, float]:
    start = time.perf_counter()
    text = fn(path)
    return text, time.perf_counter() - start


def main(pairs: list[tuple[Path, Path]]) -> dict:
    import pypdfium2 as pdfium

    results = []
    for pdf_path, html_path in pairs:
        vocab = vocabulary(html_path)
        pages = len(pdfium.PdfDocument(str(pdf_path)))
        row = {"pdf": pdf_path.name, "pages": pages, "extractors": {}}
        floor = None
        for name, fn in (
            ("pypdf", pypdf_text),
            ("pypdf-layout", lambda p: pypdf_text(p, "layout")),
            ("pypdfium2", pdfium_text),
            ("product (pypdfium2 + layout rules)", product_text),
        ):
            text, seconds = timed(fn, pdf_path)
            floor = floor or seconds
            stats = glue_stats(text, vocab)
            stats.update(seconds=round(seconds, 2), time_vs_pypdf=round(seconds / floor, 3))
            row["extractors"][name] = stats
            print(
                f"{pdf_path.name:38} {pages:4}p  {name:36} {seconds:6.2f}s  x{seconds / floor:5.2f}  "
                f"unknown {stats['unknown_share']:.3f}  "
                f"glued/1000 words {stats['long_unknown_per_1000']:6.2f}  "
                f"{', '.join(stats['examples'])}"
            )
        results.append(row)
    return {"results": results}


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    pairs = list(zip(args[::2], args[1::2], strict=True)) if args else DEFAULT
    report = main(pairs)
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "extract.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
