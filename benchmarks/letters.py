"""Benchmark of printing dunning letters: the letters from the templates, one PDF per letter, one
print file.

    .venv/bin/python -m benchmarks.letters [--count 200] [--processes 1,2] [--renderer typst]

The letters are the final-notice sample notices (`dunmore.delivery.samples`), zh-CN, zh-TW and en in
turn, each with its own reference. Timed: rendering the letters (HTML and Typst data) through the templates,
printing each letter to PDF (`LetterPrinter` with 1, 2… processes, the figure that matters: letters
per second; a pool's start-up is left out, as a worker keeps its pool), and joining the PDFs into
the run's print file (`print_file`, duplex). `--renderer weasyprint` prints the same letters from
their HTML, as a letter Typst cannot print is (and as every letter was before Typst).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

from benchmarks.common import peak_memory_mb, save, timed
from dunmore.delivery.letter import Letter, LetterPrinter, print_letter
from dunmore.delivery.print_file import print_file
from dunmore.delivery.render import Templates
from dunmore.delivery.samples import sample_view
from dunmore.delivery.view import LANGUAGES


def letters(count: int, renderer: str = "typst") -> list[Letter]:
    templates = Templates()
    views = [
        dataclasses.replace(sample_view(LANGUAGES[n % len(LANGUAGES)]), reference=f"DN-{n + 1:06d}")
        for n in range(count)
    ]
    made = [templates.render("final-notice", view).letter for view in views]
    return made if renderer == "typst" else [dataclasses.replace(letter, data="") for letter in made]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200, help="how many letters to print (default: 200)")
    parser.add_argument("--processes", default="1,2", help="printing processes to measure, e.g. 1,2,4")
    parser.add_argument("--renderer", choices=("typst", "weasyprint"), default="typst")
    args = parser.parse_args()
    results: dict[str, float] = {}
    print(f"letters benchmark: {args.count} final notices, zh-CN / zh-TW / en in turn, {args.renderer}")
    for letter in letters(3, args.renderer):  # import the renderer, load each face once: not timed
        print_letter(letter)
    with timed("render the letters from the templates", results):
        batch = letters(args.count, args.renderer)
    rates: dict[str, dict[str, float]] = {}
    pdfs: list[bytes] = []
    for processes in (int(n) for n in args.processes.split(",")):
        with LetterPrinter(processes) as printer:
            printer.print_all(batch[: processes * 2])  # start the pool: a worker keeps it
            cpu = time.process_time()
            with timed(f"print each letter to PDF, {processes} process(es)", results):
                pdfs = printer.print_all(batch)
            cpu_seconds = time.process_time() - cpu  # this process only: meaningful for one process
        rate = round(args.count / results[f"print each letter to PDF, {processes} process(es)"], 2)
        load = round(os.getloadavg()[0], 2)
        rates[f"{processes}p"] = {"letters_per_second": rate, "load_average": load}
        cpu_note = ""
        if processes == 1:
            rates["1p"]["letters_per_cpu_second"] = round(args.count / cpu_seconds, 2)
            cpu_note = f", {1000 * cpu_seconds / args.count:.1f} ms of CPU a letter"
        print(f"  {processes} process(es): {rate} letters/s (load average {load}{cpu_note})", flush=True)
    with timed("join them into one print file", results):
        joined = print_file(pdfs)
    average_kb = round(sum(map(len, pdfs)) / len(pdfs) / 1024, 1)
    print(f"  {average_kb} KiB a letter; print file {len(joined) / 2**20:.1f} MiB")
    payload = {
        "letters": args.count,
        "renderer": args.renderer,
        "seconds": results,
        "rates": rates,
        "average_letter_kib": average_kb,
        "print_file_mib": round(len(joined) / 2**20, 2),
    }
    save("letters", payload | {"peak_memory_mb": peak_memory_mb()})


if __name__ == "__main__":
    main()
