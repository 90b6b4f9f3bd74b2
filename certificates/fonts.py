"""The certificate's fonts: pre-subset Noto CJK faces, and what the installed fonts cover.

Embedding a whole Noto CJK face (65,535 glyphs) in every PDF makes WeasyPrint's subsetter
walk all of them: about 6 times the render time of a plain page and 355 KB a certificate.
So ``manage.py certificate_fonts`` cuts the system's Noto Serif CJK SC Regular and Bold
(fonts-noto-cjk, SIL OFL) down to GB 2312 plus ASCII, Latin-1 and common punctuation, about
7,600 glyphs, numbered in GB 2312 order so that the common characters (level 1) come first,
and redraws them as TrueType outlines (see :func:`_to_truetype`); two extended faces hold
the rest of Noto's hanzi (:func:`extended_characters`). They are generated on each machine
and never committed. Rendering names them first; a character they lack falls back to the
full system faces through fontconfig, and the characters of CJK Extensions B to F that Noto
lacks come from Hanazono Mincho (fonts-hanazono).

Nothing here imports Django: the subsetting runs in worker processes.
"""

from __future__ import annotations

import bisect
import functools
import json
import logging
import os
import subprocess
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.pens.areaPen import AreaPen
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.recordingPen import RecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.reorderGlyphs import reorderGlyphs

logger = logging.getLogger(__name__)

# Bump when the character set or the way faces are cut changes: stale files are rebuilt.
RECIPE = 3
MANIFEST = "fonts.json"

# Shaping features kept for horizontal Chinese and Latin text. Vertical forms and `locl`
# are dropped: `locl` alone pulls in 5,800 Japanese, Korean and traditional glyph variants.
LAYOUT_FEATURES = ["ccmp", "liga", "calt", "kern", "palt", "halt"]


@dataclass(frozen=True)
class Face:
    """One system face and the pre-subset file cut from it."""

    family: str  # fontconfig family of the full system face
    style: str  # fontconfig style
    weight: int  # CSS font-weight
    css_family: str  # the @font-face family the stylesheet names
    filename: str  # the subset file in CERTIFICATE_FONT_DIR
    extended: bool = False  # the hanzi outside GB 2312 instead of GB 2312


# One family in two weights. Every face a PDF uses costs its own subsetting, copying and
# compression (about 2 to 4 ms a face on 2 cores, even for a few Latin glyphs): the URL and
# serial, once printed in Noto Sans, use the serif face's Latin letters instead. A second
# family holds the rest of Noto's hanzi, for the rare characters of names (see
# :func:`extended_characters`); a certificate without one never touches it.
FACES = (
    Face("Noto Serif CJK SC", "Regular", 400, "Certificate Serif", "NotoSerifCJKsc-Regular.ttf"),
    Face("Noto Serif CJK SC", "Bold", 700, "Certificate Serif", "NotoSerifCJKsc-Bold.ttf"),
    Face(
        "Noto Serif CJK SC",
        "Regular",
        400,
        "Certificate Serif Extended",
        "NotoSerifCJKsc-Extended-Regular.ttf",
        extended=True,
    ),
    Face(
        "Noto Serif CJK SC",
        "Bold",
        700,
        "Certificate Serif Extended",
        "NotoSerifCJKsc-Extended-Bold.ttf",
        extended=True,
    ),
)

# The ideographs of names, in the order the extended faces number them: the unified block
# first (where nearly all rare name characters are), then Extension A, the compatibility
# ideographs and Extensions B to F.
HANZI_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)


def subset_characters() -> list[str]:
    """What the subset faces hold, in glyph order: Latin and punctuation, then GB 2312.

    GB 2312 comes from Python's own codec, so the list is exact and needs no data file:
    3,755 level-1 hanzi (the most frequent, by pinyin), 3,008 level-2 hanzi (by radical),
    then its other symbols (kana, Greek, Cyrillic, box drawing), which certificates rarely
    print.
    """
    characters: list[str] = []
    seen: set[str] = set()

    def add(items: Iterable[str]) -> None:
        for character in items:
            if character not in seen:
                seen.add(character)
                characters.append(character)

    def gb2312_rows(first: int, last: int) -> Iterable[str]:
        for high in range(first, last + 1):
            for low in range(0xA1, 0xFF):
                try:
                    yield bytes((high, low)).decode("gb2312")
                except UnicodeDecodeError:
                    continue

    add(chr(code) for code in range(0x20, 0x7F))  # ASCII
    add(chr(code) for code in range(0xA0, 0x100))  # Latin-1: ü, é, the name dot ·
    add(chr(code) for code in range(0x2010, 0x2028))  # dashes, quotes, ellipsis
    add(chr(code) for code in range(0x2030, 0x203C))  # per mille, primes, ※
    add(chr(code) for code in range(0x3000, 0x3020))  # CJK punctuation, brackets
    add(chr(code) for code in range(0xFF01, 0xFF5F))  # full-width forms
    add(gb2312_rows(0xB0, 0xD7))  # level-1 hanzi
    add(gb2312_rows(0xD8, 0xF7))  # level-2 hanzi
    add(gb2312_rows(0xA1, 0xA9))  # the remaining symbols
    return characters


def extended_characters(source: Path, index: int) -> list[str]:
    """The hanzi a system face draws that GB 2312 lacks, in :data:`HANZI_RANGES` order.

    A name with 堃 or 喆 would otherwise embed the whole system face: copying the 27 MB
    font collection and subsetting a CFF of 65,535 glyphs costs a certificate 15 ms.
    """
    with TTFont(source, fontNumber=index, lazy=True) as font:
        cmap = font.getBestCmap()
    common = set(subset_characters())
    return [
        chr(code)
        for start, end in HANZI_RANGES
        for code in range(start, end + 1)
        if code in cmap and chr(code) not in common
    ]


def system_face(face: Face) -> tuple[Path, int] | None:
    """The installed file and collection index of a face, as fontconfig knows it."""
    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{file}|%{index}\n", f"{face.family}:style={face.style}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        logger.exception("fc-list failed while looking for %s %s", face.family, face.style)
        return None
    for line in sorted(listing.splitlines()):
        path, _, index = line.rpartition("|")
        if path and index.isdigit():
            return Path(path), int(index)
    return None


def _source_facts(path: Path, index: int) -> dict[str, object]:
    stat = path.stat()
    return {
        "source": str(path),
        "index": index,
        "source_size": stat.st_size,
        "source_mtime": int(stat.st_mtime),
        "recipe": RECIPE,
        "fonttools": fontTools.version,
    }


def _read_manifest(font_dir: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((font_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stale_faces(font_dir: Path) -> list[Face]:
    """Faces whose subset file is missing or was cut from another source or recipe."""
    manifest = _read_manifest(font_dir)
    stale = []
    for face in FACES:
        found = system_face(face)
        recorded = manifest.get(face.filename, {})
        if not (font_dir / face.filename).is_file():
            stale.append(face)
        elif found is not None and {
            key: value for key, value in recorded.items() if key != "glyphs"
        } != _source_facts(*found):
            stale.append(face)
    return stale


def build_subsets(font_dir: Path, *, force: bool = False, workers: int = 2) -> list[Face]:
    """Cut the faces that are missing or stale (all with ``force``); return those built.

    Raises FileNotFoundError naming the Debian package when a system face is missing.
    """
    todo = list(FACES) if force else stale_faces(font_dir)
    if not todo:
        return []
    sources = {}
    for face in todo:
        found = system_face(face)
        if found is None:
            raise FileNotFoundError(
                f"{face.family} {face.style} is not installed; install the Debian package "
                "fonts-noto-cjk (make does)."
            )
        sources[face] = found
    font_dir.mkdir(parents=True, exist_ok=True)
    common = subset_characters()
    jobs = [
        (
            str(path),
            index,
            extended_characters(path, index) if face.extended else common,
            str(font_dir / face.filename),
        )
        for face, (path, index) in sources.items()
    ]
    if workers > 1 and len(jobs) > 1:
        # Each face takes 15 to 60 s of fontTools; the faces are independent.
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            glyphs = list(pool.map(_cut_face, *zip(*jobs, strict=True)))
    else:
        glyphs = [_cut_face(*job) for job in jobs]
    manifest = _read_manifest(font_dir)
    for (face, (path, index)), count in zip(sources.items(), glyphs, strict=True):
        manifest[face.filename] = {**_source_facts(path, index), "glyphs": count}
    # Files an earlier recipe wrote (the CFF .otf faces, a sans face) are never read again.
    for filename in set(manifest) - {face.filename for face in FACES}:
        del manifest[filename]
        if Path(filename).name == filename:
            (font_dir / filename).unlink(missing_ok=True)
    temporary = font_dir / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    temporary.replace(font_dir / MANIFEST)
    return todo


def _is_hanzi(character: str) -> bool:
    return unicodedata.name(character, "").startswith("CJK UNIFIED IDEOGRAPH")


@dataclass(frozen=True)
class _Shape:
    """What a reader sees of a glyph: its advance, extent and the ink of each contour."""

    advance: int
    bounds: tuple[float, float, float, float] | None
    areas: tuple[float, ...]  # unsigned, one per contour in drawing order

    def differs_from(self, other: _Shape, tolerance: float) -> bool:
        if self.advance != other.advance or len(self.areas) != len(other.areas):
            return True
        if self.bounds is None or other.bounds is None:
            return self.bounds != other.bounds
        if any(abs(a - b) > tolerance for a, b in zip(self.bounds, other.bounds, strict=True)):
            return True
        # A contour whose outline moves by the tolerance gains or loses at most its length
        # times the tolerance: 2 % of its ink plus a little is generous for that and far
        # below any visibly different stroke.
        return any(
            abs(a - b) > 0.02 * a + 20 * tolerance
            for a, b in zip(self.areas, other.areas, strict=True)
        )


def _shapes(font: TTFont, codepoints: Iterable[int]) -> dict[int, _Shape]:
    cmap = font.getBestCmap()
    glyph_set = font.getGlyphSet()
    metrics = font["hmtx"].metrics
    result = {}
    for codepoint in codepoints:
        name = cmap[codepoint]
        recording = RecordingPen()
        glyph_set[name].draw(recording)
        bounds = BoundsPen(glyph_set)
        recording.replay(bounds)
        areas = []
        area = AreaPen(glyph_set)
        for operator, operands in recording.value:
            getattr(area, operator)(*operands)
            if operator in ("closePath", "endPath"):
                areas.append(abs(area.value))
                area = AreaPen(glyph_set)
        result[codepoint] = _Shape(metrics[name][0], bounds.bounds, tuple(areas))
    return result


#: How far (in font units, 1,000 to the em) a TrueType outline may stray from the cubic
#: curve it replaces: fontmake's default, 0.01 mm on a 38 pt title.
TRUETYPE_MAX_ERROR = 1.0


def _to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines of ``font`` with TrueType (quadratic) ones, no hinting.

    WeasyPrint subsets every face of every PDF with HarfBuzz, twice. On CFF that means
    desubroutinizing charstrings and keeping their hints; on TrueType outlines it is a copy
    of the glyphs used: the two passes take half the time, and the glyphs a certificate
    embeds are half the size (the PDF viewer draws curves the same either way).
    """
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    metrics = font["hmtx"].metrics
    for name in glyph_order:
        pen = TTGlyphPen(None)
        # CFF draws outer contours counter-clockwise, TrueType clockwise.
        glyph_set[name].draw(Cu2QuPen(pen, TRUETYPE_MAX_ERROR, reverse_direction=True))
        glyph = pen.glyph()
        glyph.recalcBounds(glyf)
        glyf[name] = glyph
        advance, _ = metrics[name]
        metrics[name] = (advance, glyph.xMin if glyph.numberOfContours else 0)
    del font["CFF "]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(glyph_order)
    for field in (
        "maxPoints maxContours maxCompositePoints maxCompositeContours maxStorage "
        "maxFunctionDefs maxInstructionDefs maxStackElements maxSizeOfInstructions "
        "maxComponentElements maxComponentDepth maxTwilightPoints"
    ).split():
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp  # the counts are recomputed when the font is saved
    font["post"].formatType = 3.0  # CID-keyed fonts have no glyph names to keep
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def _cut_face(source: str, index: int, characters: Sequence[str], target: str) -> int:
    """Subset one face to ``characters``, renumber its glyphs in that order, as TrueType."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per table otherwise
    font = TTFont(source, fontNumber=index)
    options = subset.Options()
    options.layout_features = LAYOUT_FEATURES
    options.notdef_outline = True
    options.hinting = False
    options.name_IDs = ["*"]  # keep the copyright and the OFL licence text
    options.name_languages = ["*"]
    # Vertical metrics are for vertical text only, and would cost 4 bytes per glyph id in
    # every PDF; BASE is dropped by WeasyPrint anyway.
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(character) for character in characters])
    subsetter.subset(font)

    # WeasyPrint keeps every glyph id up to the highest one a PDF uses, so the cost of a
    # certificate follows its highest glyph id: number the glyphs in the order of
    # ``characters``, with the few glyphs no character maps to (ligatures such as "fi",
    # reached through the shaping features) between the Latin part and the hanzi.
    cmap = font.getBestCmap()
    old_order = font.getGlyphOrder()
    mapped = set(cmap.values())
    new_order = [old_order[0]]
    placed = {old_order[0]}
    unmapped = [name for name in old_order[1:] if name not in mapped]
    for character in characters:
        if unmapped and _is_hanzi(character):
            new_order += unmapped
            placed.update(unmapped)
            unmapped = []
        name = cmap.get(ord(character))
        if name is not None and name not in placed:
            placed.add(name)
            new_order.append(name)
    new_order += [name for name in old_order if name not in placed]
    cubic = _shapes(font, cmap)
    _reorder(font, old_order, new_order)
    _to_truetype(font)

    temporary = Path(target).with_name(f".{Path(target).name}.tmp")
    font.save(temporary)
    font.close()
    # Renumbering a CID-keyed CFF and redrawing it are the delicate parts: prove that the
    # file, read back, draws every character as the subset CFF did (same advance and
    # contours, extent and ink within the conversion's tolerance) before it replaces the
    # old one.
    with TTFont(temporary) as written:
        quadratic = _shapes(written, cmap)
    changed = [
        chr(codepoint)
        for codepoint in cmap
        if cubic[codepoint].differs_from(quadratic[codepoint], 2 * TRUETYPE_MAX_ERROR)
    ]
    if changed:
        temporary.unlink()
        raise RuntimeError(f"Converting {source} changed the glyphs of {''.join(changed[:20])}")
    os.replace(temporary, target)
    return len(new_order)


def _reorder(font: TTFont, old_order: list[str], new_order: list[str]) -> None:
    top = font["CFF "].cff.topDictIndex[0] if "CFF " in font else None
    fd_select = getattr(top, "FDSelect", None) if top is not None else None
    if top is not None and fd_select is not None:
        # fontTools renumbers the charset but not a CID font's FDSelect (which private dict,
        # hence which local subroutines, each glyph uses). Decompile every charstring while
        # it still finds its own private dict, then renumber FDSelect to match.
        position = {name: gid for gid, name in enumerate(old_order)}
        selectors = [fd_select.gidArray[position[name]] for name in new_order]
        for name in old_order:
            top.CharStrings[name].decompile()
    reorderGlyphs(font, new_order)
    if top is not None and fd_select is not None:
        fd_select.gidArray = selectors


def available_subsets(font_dir: Path) -> list[Face]:
    """The faces whose subset file exists in ``font_dir``."""
    return [face for face in FACES if (font_dir / face.filename).is_file()]


class Coverage:
    """Code points some installed or pre-subset face draws, as sorted ranges."""

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def __contains__(self, codepoint: int) -> bool:
        position = bisect.bisect_right(self.starts, codepoint) - 1
        return position >= 0 and codepoint <= self.ends[position]

    def __len__(self) -> int:
        return sum(end - start + 1 for start, end in zip(self.starts, self.ends, strict=True))


def _fontconfig_ranges() -> list[tuple[int, int]]:
    """Every scalable installed face's charset, as fontconfig (and so Pango) sees it."""
    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{scalable}|%{charset}\n"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        logger.exception("fc-list failed: only the pre-subset faces count as installed")
        return []
    ranges = []
    for line in listing.splitlines():
        scalable, _, charset = line.partition("|")
        # WeasyPrint cannot embed bitmap-only faces: they would print nothing.
        if scalable != "True":
            continue
        for part in charset.split():
            start, _, end = part.partition("-")
            ranges.append((int(start, 16), int(end or start, 16)))
    return ranges


def _file_ranges(path: Path) -> list[tuple[int, int]]:
    try:
        with TTFont(path, lazy=True) as font:
            cmap = font.getBestCmap()
    except Exception:
        logger.exception("Cannot read the character map of %s", path)
        return []
    return [(codepoint, codepoint) for codepoint in cmap]


@functools.cache
def coverage(font_dir: Path) -> Coverage:
    """What the faces in use can draw: the subsets in ``font_dir`` and all installed faces.

    Built once a process (about 0.4 s, most of it reading the extended faces' character
    maps); clear with ``coverage.cache_clear()`` after installing fonts.
    """
    ranges = _fontconfig_ranges()
    for face in available_subsets(font_dir):
        ranges += _file_ranges(font_dir / face.filename)
    return Coverage(ranges)
