"""The print file of a run: its letters exactly as stored, joined into one PDF for a print shop.

The stored PDFs are joined as they are (no re-rendering: what is printed is what the proof holds).
For duplex printing a letter with an odd number of pages is followed by a blank page, so that every
letter starts on a new sheet and no letter is printed on the back of another debtor's. The letters'
font subsets are merged into one program per face (`dunmore.delivery.shared_fonts`), so the file
holds each font once rather than once per letter.
"""

from __future__ import annotations

import io
from collections.abc import Sequence


def print_file(pdfs: Sequence[bytes], *, duplex: bool = True, shared_fonts: bool = True) -> bytes:
    from pypdf import PdfReader, PdfWriter

    from dunmore.delivery.shared_fonts import share_fonts

    writer = PdfWriter()
    for pdf in pdfs:
        reader = PdfReader(io.BytesIO(pdf))
        for page in reader.pages:
            writer.add_page(page)
        if duplex and len(reader.pages) % 2:
            last = reader.pages[-1].mediabox
            writer.add_blank_page(width=float(last.width), height=float(last.height))
    if shared_fonts:
        share_fonts(writer)
    with io.BytesIO() as out:
        writer.write(out)
        return out.getvalue()
