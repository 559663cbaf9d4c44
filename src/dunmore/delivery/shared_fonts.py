"""One font program per face in a print file, instead of one per letter.

Every stored letter embeds its own subset of each Noto CJK face it uses (≈0.3 MiB a letter: the
subsets keep the original glyph ids, so each holds a table of some 63,000 mostly empty glyphs). In a
print file those subsets are merged into one per face: the glyphs each letter draws are copied, as
they are, from that letter's own subset into the first letter's, and every letter's font then points
at the merged program. The pages' content (which glyph, where) is untouched, and each glyph is the
one its letter held, so what is printed is what the proofs hold.

Glyph ids are those of the original font only if every subset came from the same font file: the
subsets must agree on the font's name, revision and time stamps (which subsetting keeps) and the
private values of each font dictionary (FD) of the same name; otherwise that face is
left as it was, one program per letter. Only WeasyPrint's kind of font is merged (CID-keyed CFF in
an OpenType wrapper, glyph id = CID); anything else stays as it is.

The cost is in fontTools writing each merged program (its 63,000 glyph entries): seconds per face
for a whole print file, whatever its size, plus reading the subset of each letter that brings glyphs
the merged program lacks.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject


@dataclass
class _Embedded:
    """One letter's subset of a face: where the program sits in the PDF, and the glyphs it draws."""

    descriptor: DictionaryObject
    stream: StreamObject
    glyphs: list[int]

    @property
    def program(self) -> bytes:
        return bytes(self.stream.get_data())


class _Mismatch(Exception):
    """Two subsets of a face that cannot come from one font file."""


def share_fonts(writer: PdfWriter) -> int:
    """Merge the font subsets of each face in `writer` into one program; returns how many letter
    subsets now point at a merged one."""
    faces: dict[str, list[_Embedded]] = {}
    for face, embedded in _embedded_fonts(writer):
        faces.setdefault(face, []).append(embedded)
    shared = 0
    for subsets in faces.values():
        if len(subsets) < 2:
            continue
        try:
            merged = _merge([subset.program for subset in subsets], [subset.glyphs for subset in subsets])
        except _Mismatch:
            continue
        stream = StreamObject()
        stream.set_data(merged)
        stream[NameObject("/Subtype")] = NameObject("/OpenType")
        reference = writer._add_object(stream.flate_encode())
        for subset in subsets:
            subset.descriptor[NameObject("/FontFile3")] = reference
            subset.stream.set_data(b"")  # no longer referenced: left as an empty object, not a font
        shared += len(subsets)
    return shared


def _embedded_fonts(writer: PdfWriter) -> Iterator[tuple[str, _Embedded]]:
    seen: set[int] = set()
    for page in writer.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for font in (fonts.get_object() if fonts is not None else {}).values():
            found = _cid_font(font.get_object())
            if found is not None and id(found[1].descriptor) not in seen:
                seen.add(id(found[1].descriptor))
                yield found


def _cid_font(font: Any) -> tuple[str, _Embedded] | None:
    if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
        return None
    cid = font["/DescendantFonts"][0].get_object()
    descriptor = cid["/FontDescriptor"].get_object()
    program = descriptor.get("/FontFile3")
    if cid.get("/Subtype") != "/CIDFontType0" or cid.get("/CIDToGIDMap", "/Identity") != "/Identity":
        return None
    if program is None or program.get_object().get("/Subtype") != "/OpenType":
        return None
    face = str(font["/BaseFont"]).partition("+")[2] or str(font["/BaseFont"])
    return face, _Embedded(descriptor, program.get_object(), _widths_glyphs(cid.get("/W")))


def _widths_glyphs(widths: Any) -> list[int]:
    """The glyph ids a CID font's /W array names: the glyphs its text draws."""
    items = list(widths.get_object()) if widths is not None else []
    glyphs: list[int] = []
    index = 0
    while index < len(items):
        first = int(items[index])
        following = items[index + 1].get_object()
        if isinstance(following, list):  # first [w1 w2 …]
            glyphs += range(first, first + len(following))
            index += 2
        else:  # first last w
            glyphs += range(first, int(following) + 1)
            index += 3
    return glyphs


def _merge(programs: list[bytes], glyphs: list[list[int]]) -> bytes:
    from fontTools.ttLib import TTFont

    # A subset ends at its highest glyph id used: the longest one has room for every other's glyphs.
    fonts = [TTFont(io.BytesIO(program), lazy=True) for program in programs]
    first = max(range(len(fonts)), key=lambda n: fonts[n]["maxp"].numGlyphs)
    base = TTFont(io.BytesIO(programs[first]), recalcBBoxes=False, recalcTimestamp=False)
    origin = _origin(base)
    order = base.getGlyphOrder()
    held = set(glyphs[first])
    for number, (other, used) in enumerate(zip(fonts, glyphs, strict=True)):
        if number == first:
            continue
        if _origin(other) != origin:
            raise _Mismatch
        new = [gid for gid in used if gid not in held]
        for gid in new:  # most letters add nothing once a few are in: their glyphs are not even read
            _copy_glyph(other, base, order[gid], gid)
        held.update(new)
    out = io.BytesIO()
    base.save(out)
    return out.getvalue()


def _origin(font: Any) -> tuple[object, ...]:
    """What a subset keeps of the font file it came from: its names and version stamps."""
    head, cff = font["head"], font["CFF "].cff
    return (cff.fontNames[0], head.fontRevision, head.created, head.modified, head.unitsPerEm)


def _copy_glyph(source: Any, target: Any, name: str, gid: int) -> None:
    """Put `source`'s glyph `name` (outline, font dictionary, metrics) into `target`."""
    source_top = source["CFF "].cff.topDictIndex[0]
    target_top = target["CFF "].cff.topDictIndex[0]
    fd = _same_fd(source_top.FDArray[source_top.FDSelect[gid]], target_top)
    charstring = copy.copy(source_top.CharStrings[name])
    charstring.private = target_top.FDArray[fd].Private
    index = target_top.CharStrings.charStrings[name]
    target_top.CharStrings.charStringsIndex.items[index] = charstring
    target_top.FDSelect[gid] = fd
    for table in ("hmtx", "vmtx"):
        if table in source and table in target:
            target[table].metrics[name] = source[table].metrics[name]
    if "VORG" in source and "VORG" in target and name in source["VORG"].VOriginRecords:
        target["VORG"].VOriginRecords[name] = source["VORG"].VOriginRecords[name]


def _same_fd(fd: Any, target_top: Any) -> int:
    """The index of `fd` in the target's font dictionaries, added there when missing."""
    for index, candidate in enumerate(target_top.FDArray):
        if candidate.FontName == fd.FontName:
            if candidate.Private.rawDict != fd.Private.rawDict:
                raise _Mismatch
            return index
    target_top.FDArray.append(copy.deepcopy(fd))
    return len(target_top.FDArray) - 1
