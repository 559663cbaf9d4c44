"""Benchmark of printing dunning letters: HTML from the templates, one PDF per letter, one print file.

    .venv/bin/python -m benchmarks.letters [--count 200]

The letters are the final-notice sample notices (`dunmore.delivery.samples`), zh-CN, zh-TW and en in
turn, each with its own reference. Timed, in one process: rendering the letters' HTML through the
templates, printing each letter to PDF (`render_pdf`, the figure that matters: letters per second),
and joining the PDFs into the run's print file (`print_file`, duplex).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from benchmarks.common import peak_memory_mb, save, timed
from dunmore.delivery.letter import render_pdf
from dunmore.delivery.print_file import print_file
from dunmore.delivery.render import Templates
from dunmore.delivery.samples import sample_view
from dunmore.delivery.view import LANGUAGES


def letter_htmls(count: int) -> list[str]:
    templates = Templates()
    views = [
        dataclasses.replace(sample_view(LANGUAGES[n % len(LANGUAGES)]), reference=f"DN-{n + 1:06d}")
        for n in range(count)
    ]
    return [templates.render("final-notice", view).letter_html for view in views]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200, help="how many letters to print (default: 200)")
    args = parser.parse_args()
    results: dict[str, float] = {}
    print(f"letters benchmark: {args.count} final notices, zh-CN / zh-TW / en in turn")
    render_pdf(letter_htmls(1)[0])  # import WeasyPrint and load the fonts once, outside the timings
    with timed("render letter HTML", results):
        htmls = letter_htmls(args.count)
    cpu = time.process_time()
    with timed("print each letter to PDF", results):
        pdfs = [render_pdf(html) for html in htmls]
    cpu_rate = round(args.count / (time.process_time() - cpu), 2)  # less sensitive to other processes
    with timed("join them into one print file", results):
        joined = print_file(pdfs)
    rate = round(args.count / results["print each letter to PDF"], 2)
    average_kb = round(sum(map(len, pdfs)) / len(pdfs) / 1024, 1)
    load = round(os.getloadavg()[0], 2)
    print(f"  {rate} letters/s ({cpu_rate} per CPU second; load average {load}); {average_kb} KiB a letter;")
    print(f"  print file {len(joined) / 2**20:.1f} MiB")
    payload = {
        "letters": args.count,
        "seconds": results,
        "letters_per_second": rate,
        "letters_per_cpu_second": cpu_rate,
        "load_average": load,
        "average_letter_kib": average_kb,
        "print_file_mib": round(len(joined) / 2**20, 2),
    }
    save("letters", payload | {"peak_memory_mb": peak_memory_mb()})


if __name__ == "__main__":
    main()
