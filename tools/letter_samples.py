"""Write the first page of the sample letters as PNG images to docs/samples/, to look at and review.

    .venv/bin/python tools/letter_samples.py [--step final-notice] [--dpi 100]

Each step template is rendered with the sample notice of each language (`dunmore.delivery.samples`)
through the real templates and letter layout, printed to PDF by `dunmore.delivery.letter` (Typst),
and its first page turned into `docs/samples/letter-{step}-{language}.png` with poppler's pdftoppm. The PDFs
stay in a temporary folder: only the images are kept.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from dunmore.delivery.letter import print_letter
from dunmore.delivery.render import Templates
from dunmore.delivery.samples import sample_view
from dunmore.delivery.view import LANGUAGES, Language

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"


def write_sample(templates: Templates, step: str, language: Language, folder: Path, dpi: int) -> Path:
    view = sample_view(language, step=step)
    pdf = folder / f"letter-{step}-{language}.pdf"
    pdf.write_bytes(print_letter(templates.render(step, view).letter))
    target = SAMPLES / pdf.with_suffix("").name
    command = ["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)]
    subprocess.run(command, check=True)
    return target.with_suffix(".png")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--step", action="append", help="step template to print (default: final-notice)")
    parser.add_argument("--language", action="append", choices=LANGUAGES, help="language (default: all)")
    parser.add_argument("--dpi", type=int, default=100, help="resolution of the images (default: 100)")
    args = parser.parse_args()
    SAMPLES.mkdir(parents=True, exist_ok=True)
    templates = Templates()
    with tempfile.TemporaryDirectory() as folder:
        for step in args.step or ["final-notice"]:
            for language in [language for language in LANGUAGES if language in (args.language or LANGUAGES)]:
                print(write_sample(templates, step, language, Path(folder), args.dpi))


if __name__ == "__main__":
    main()
