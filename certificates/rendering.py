"""The certificate PDF: a pure function from the certificate's facts and a layout to bytes.

No models and no database: issuance (services.py) copies the facts into
:class:`CertificateContent` and the template into :class:`Layout`, then calls
:func:`render_pdf`. The result is PDF/A-3b with every font embedded and subset.

Trust nothing that is printed: the holder's name, the course title and the trainer's title
and body are HTML-escaped, and WeasyPrint may read only the project's own static, media and
font files (:class:`LocalFilesFetcher`), so no markup in a name can fetch anything.

A template's title and body may use these placeholders (:data:`PLACEHOLDERS`); anything
else in braces is refused with :class:`LayoutInvalid`, and ``{{``/``}}`` print a brace:

    {name}       the holder's name           {course}     the course title
    {hours}      credit hours: 12.5 学时      {date}       date of issue: 2026年11月28日
    {serial}     the serial number           {issuer}     the issuing body
    {completed}  date the course was completed: 2026年11月25日
    {achievement}  what the holder achieved, worded by the course's completion rule
                 (wording.py): 完成全部课程学习 / 完成课程学习并经考核合格

Each line of the body is a paragraph. The issuer, date of issue, seal (the template's image,
else a red seal drawn from the issuer's name by :func:`seal_svg`), QR code (to the public
verification URL, printed small under it), serial and expiry date are placed by the
stylesheet (static/certificates/pdf/certificate.css), the same on every template.

One process keeps one WeasyPrint font configuration and stylesheet (built on first use), so
a warm worker renders a certificate in well under 100 ms. Pango is not thread-safe with a
shared font map, so renders in one process take turns.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import mimetypes
import string
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pydyf  # type: ignore[import-untyped]
import segno
from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy
from weasyprint import CSS, HTML
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from certificates import fonts, wording

logger = logging.getLogger(__name__)

#: The placeholders a template's title and body may use, with what each one prints.
PLACEHOLDERS = {
    "name": gettext_lazy("the holder's name"),
    "course": gettext_lazy("the course title"),
    "hours": gettext_lazy("the credit hours, e.g. 12.5 学时"),
    "date": gettext_lazy("the date of issue, e.g. 2026年11月28日"),
    "serial": gettext_lazy("the certificate's serial number"),
    "issuer": gettext_lazy("the issuing body"),
    "completed": gettext_lazy("the date the course was completed, e.g. 2026年11月25日"),
    "achievement": gettext_lazy(
        "what the holder achieved, by the course's completion rule: 完成全部课程学习 or "
        "完成课程学习并经考核合格"
    ),
}
ORIENTATIONS = ("landscape", "portrait")
PDF_VARIANT = "pdf/a-3b"
OUTPUT_INTENT = "srgb-iec61966-2-1"
TEMPLATE = "certificates/pdf/certificate.html"
STYLESHEET = "certificates/pdf/certificate.css"

DEFAULT_TITLE = "结业证书"
DEFAULT_BODY = (
    "{name}同志：\n"
    "参加《{course}》课程培训，于{completed}{achievement}，计{hours}。\n"
    "特发此证，以资证明。"
)


class LayoutInvalid(ValueError):
    """A template a certificate cannot be rendered with; the message says why."""


class GlyphsMissing(ValueError):
    """Characters that no installed font can draw: the certificate would show empty boxes."""

    def __init__(self, characters: list[str]) -> None:
        self.characters = characters
        listed = "、".join(f"{character} (U+{ord(character):04X})" for character in characters)
        super().__init__(
            gettext("No installed font can draw these characters: %(characters)s.")
            % {"characters": listed}
        )


class FetchRefused(ValueError):
    """WeasyPrint asked for something that is not one of the project's own files."""


@dataclass(frozen=True)
class CertificateContent:
    """The facts a certificate states, copied from the certificate when it is issued."""

    holder_name: str
    course_title: str
    credit_hours: Decimal
    issued_on: date
    serial: str
    issuer: str
    verify_url: str
    expires_on: date | None = None
    completed_on: date | None = None  # None only for certificates from before it was kept
    basis: str = wording.CompletionBasis.LESSONS


@dataclass(frozen=True)
class Layout:
    """A trainer's template: title and body with placeholders, paper, images.

    Invalid placeholders, an unknown orientation or an image path outside MEDIA_ROOT raise
    :class:`LayoutInvalid` when the layout is made.
    """

    title: str = DEFAULT_TITLE
    body: str = DEFAULT_BODY
    orientation: str = "landscape"
    background: str | None = None  # a path relative to MEDIA_ROOT (an uploaded image)
    seal: str | None = None  # likewise; printed over the issuer's name

    def __post_init__(self) -> None:
        placeholders_check(self.title)
        placeholders_check(self.body)
        if self.orientation not in ORIENTATIONS:
            raise LayoutInvalid(
                gettext("The orientation must be landscape or portrait, not %(value)r.")
                % {"value": self.orientation}
            )
        for image in (self.background, self.seal):
            if image is not None:
                _media_relative(image)


def placeholders_check(text: str) -> None:
    """Raise LayoutInvalid unless ``text`` uses only the known placeholders, plainly."""
    _parse(text)


def _parse(text: str) -> list[tuple[str, str | None]]:
    """The text as (literal, placeholder or None) pairs; ``{{`` and ``}}`` are braces."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise LayoutInvalid(
            gettext(
                "A brace is not closed or not opened. Placeholders look like {name}; "
                "write {{ and }} for a brace that should be printed."
            )
        ) from None
    pieces: list[tuple[str, str | None]] = []
    unknown: list[str] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            pieces.append((literal, None))
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            written = "{" + name + (f"!{conversion}" if conversion else "")
            unknown.append(written + (f":{spec}" if spec else "") + "}")
        pieces.append((literal, name))
    if unknown:
        raise LayoutInvalid(
            gettext("Unknown placeholder %(unknown)s. Use %(known)s.")
            % {
                "unknown": ", ".join(unknown),
                "known": " ".join("{" + name + "}" for name in PLACEHOLDERS),
            }
        )
    return pieces


def _media_relative(path: str) -> PurePosixPath:
    relative = PurePosixPath(path)
    if not path or relative.is_absolute() or ".." in relative.parts or "\\" in path:
        raise LayoutInvalid(
            gettext("The image %(path)s is not among the uploaded media.") % {"path": path}
        )
    return relative


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` that no available face draws, each once, in order.

    White space and invisible format characters (joiners, variation selectors) need no
    glyph. Private-use and unassigned code points are missing unless a font really has them.
    """
    available = fonts.coverage(Path(settings.CERTIFICATE_FONT_DIR))
    missing: list[str] = []
    for character in dict.fromkeys(text):
        if character.isspace() or unicodedata.category(character) == "Cf":
            continue
        if unicodedata.name(character, "").startswith("VARIATION SELECTOR"):
            continue
        if ord(character) not in available:
            missing.append(character)
    return missing


def chinese_date(day: date) -> str:
    """2026年11月28日: the date as Chinese official documents write it."""
    return f"{day.year}年{day.month}月{day.day}日"


def credit_hours_text(hours: Decimal) -> str:
    """12.5 学时; whole hours without decimals (12 学时)."""
    return f"{format(hours.normalize(), 'f')} 学时"


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _fill(text: str, values: dict[str, str]) -> SafeString:
    """One line of a template with its placeholders filled, everything escaped."""
    html = "".join(
        escape(literal)
        + (
            ""
            if name is None
            else f'<span class="value value-{name}">{escape(values[name])}</span>'
        )
        for literal, name in _parse(text)
    )
    # Safe: every literal and every value above went through escape().
    return mark_safe(html)


def _qr_svg(url: str) -> SafeString:
    # The smallest symbol that holds the URL, then the highest error correction that still
    # fits it (segno's boost): fewer modules keep WeasyPrint's SVG drawing quick.
    code = segno.make_qr(url)
    svg: str = code.svg_inline(scale=1, border=0, omitsize=True, dark="#1f1f1f")
    # Safe: segno draws the URL as modules; no text of it reaches the SVG.
    return mark_safe(svg)


SEAL_RED = "#c8102e"


def seal_svg(issuer: str) -> SafeString:
    """The default seal (印章): a red ring with the issuer's name around a five-pointed star.

    Drawn here from the configured name, no image: the characters go clockwise along the
    upper 250 degrees of the ring, smaller as the name gets longer, in the certificate's own
    font (so the glyph check covers them).
    """
    name = [character for character in " ".join(issuer.split()) if character.isprintable()]
    count = max(len(name), 1)
    span = min(250.0, 24.0 * count)  # degrees of ring the name takes
    size = min(13.0, 0.86 * math.radians(span) * 35 / count)
    top = 50 - 41 + size * 0.88  # baseline of a character at the top of the ring
    letters = "".join(
        f'<text x="50" y="{top:.2f}" font-size="{size:.2f}" text-anchor="middle" '
        f'transform="rotate({-span / 2 + span * (index + 0.5) / count:.2f} 50 50)">'
        f"{escape(character)}</text>"
        for index, character in enumerate(name)
        if not character.isspace()
    )
    star = " ".join(
        f"{50 + radius * _sin(36 * point):.2f},{52 - radius * _cos(36 * point):.2f}"
        for point in range(10)
        for radius in [15.0 if point % 2 == 0 else 6.0]
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" class="seal-drawn">'
        f'<circle cx="50" cy="50" r="47" fill="none" stroke="{SEAL_RED}" stroke-width="3.2"/>'
        f'<polygon points="{star}" fill="{SEAL_RED}"/>'
        f'<g fill="{SEAL_RED}" font-family="Certificate Serif, Certificate Serif Extended, '
        f'Noto Serif CJK SC" font-weight="700">{letters}</g>'
        "</svg>"
    )
    # Safe: every character of the name went through escape(); the rest is our own markup.
    return mark_safe(svg)


def _sin(degrees: float) -> float:
    return math.sin(math.radians(degrees))


def _cos(degrees: float) -> float:
    return math.cos(math.radians(degrees))


class LocalFilesFetcher(URLFetcher):
    """Lets WeasyPrint read files under the allowed folders and nothing else.

    No network, no ``data:``, no ``file://`` outside the folders (after resolving symbolic
    links and ``..``). A refused URL raises :class:`FetchRefused`; WeasyPrint logs it and
    leaves the resource out, so callers check their own files first. Without ``roots`` the
    folders are :func:`allowed_roots` at the time of each fetch.
    """

    def __init__(self, roots: list[Path] | None = None) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.roots = roots

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"Certificates read only local files, not {url[:80]!r}")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        roots = [root.resolve() for root in (self.roots or allowed_roots())]
        if not any(path.is_relative_to(root) for root in roots):
            raise FetchRefused(f"{path} is outside the certificate's static, media and fonts")
        if not path.is_file():
            raise FetchRefused(f"{path} does not exist")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def allowed_roots() -> list[Path]:
    """The folders a certificate may read from: static files, media, the subset fonts."""
    roots = [Path(settings.STATIC_ROOT), Path(settings.MEDIA_ROOT)]
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        roots.append(Path(entry[1] if isinstance(entry, tuple) else entry))
    roots += [Path(app.path) / "static" for app in apps.get_app_configs()]
    roots.append(Path(settings.CERTIFICATE_FONT_DIR))
    return roots


#: Glyph arrays up to this length get their C type up front: more than the ~7,650 glyphs
#: of a pre-subset face (the full system faces of rare names are left to cffi).
GLYPH_ARRAY_TYPES = 8192


def _declare_glyph_array_types() -> None:
    """Spare each certificate the C parser that WeasyPrint's font subsetting runs.

    WeasyPrint 70 subsets a font with ``ffi.new(f"hb_codepoint_t[{n}]")`` for n the number
    of glyphs used and the highest glyph id plus one, both different on almost every
    certificate. cffi parses each new type string with pycparser, 4 to 7 ms a time, and a
    worker would pay that for every new length for hours. Registering the array types costs
    about 12 ms and 4 MB once. This reaches into cffi's type cache, so it gives up quietly
    when cffi changes: certificates are then only slower.
    """
    from weasyprint.text.ffi import ffi

    try:
        cache = ffi._parsed_types
        pointer = ffi._typeof("hb_codepoint_t *")
        for length in range(1, GLYPH_ARRAY_TYPES + 1):
            key = f"hb_codepoint_t[{length}]"
            if key not in cache:
                cache[key] = (ffi._backend.new_array_type(pointer, length), False)
    except (AttributeError, TypeError):
        logger.info("cffi's type cache has changed: glyph array types are parsed on demand")


class _CompressedOnce:
    """Mixed into a PDF's streams so that each is serialised and compressed only once.

    pydyf serialises every object twice when the PDF has an identifier, which PDF/A
    requires: once to write it and once more for the identifier's MD5. For a certificate
    that means compressing both embedded faces twice, about 1.6 ms (0.3 ms for a one-line
    page). Once WeasyPrint hands the PDF to the finisher its streams no longer change, so
    the second serialisation may reuse the first: the bytes are the same.
    """

    @functools.cached_property
    def data(self) -> bytes:
        serialised: bytes = super().data  # type: ignore[misc]
        return serialised


_COMPRESSED_ONCE: dict[type, type] = {}


def _compressed_once(stream_class: type) -> type:
    if stream_class not in _COMPRESSED_ONCE:
        _COMPRESSED_ONCE[stream_class] = type(
            stream_class.__name__, (_CompressedOnce, stream_class), {}
        )
    return _COMPRESSED_ONCE[stream_class]


def _compress_streams_once(document: Any, pdf: Any) -> None:
    """WeasyPrint's finisher: runs after the PDF is built, before it is written."""
    for pdf_object in pdf.objects:
        if isinstance(pdf_object, pydyf.Stream) and not isinstance(pdf_object, _CompressedOnce):
            try:
                pdf_object.__class__ = _compressed_once(type(pdf_object))
            except TypeError:  # a pydyf whose objects cannot change class: compress twice
                return


class _Profile(ColorProfile):
    """An ICC profile that is embedded as the bytes it was read from.

    WeasyPrint asks LittleCMS to serialise the profile again for every PDF, and from the
    second PDF of a process on that gives other bytes (3,116 instead of sRGB2014.icc's
    3,024): every certificate should carry the same, standard profile.
    """

    def __init__(self, icc: bytes, *args: Any) -> None:
        super().__init__(io.BytesIO(icc), *args)
        self.icc = icc

    @property
    def content(self) -> bytes:
        return self.icc


class _Renderer:
    """What one process keeps between certificates: fonts, stylesheet and fetcher."""

    def __init__(self, font_dir: Path) -> None:
        _declare_glyph_array_types()
        self.fetcher = LocalFilesFetcher()
        self.font_config = FontConfiguration()
        self.lock = threading.Lock()
        faces = fonts.available_subsets(font_dir)
        if len(faces) < len(fonts.FACES):
            logger.warning(
                "Pre-subset certificate fonts are missing from %s: certificates render "
                "with the full system fonts, several times slower and larger. Run "
                "`manage.py certificate_fonts`.",
                font_dir,
            )
        font_faces = "".join(
            f'@font-face {{ font-family: "{face.css_family}"; font-weight: {face.weight}; '
            f'src: url("{(font_dir / face.filename).resolve().as_uri()}"); }}\n'
            for face in faces
        )
        stylesheet = finders.find(STYLESHEET)
        if not isinstance(stylesheet, str):
            raise FileNotFoundError(f"The certificate stylesheet {STYLESHEET} is missing")
        self.stylesheets = [
            CSS(
                string=font_faces + Path(stylesheet).read_text(encoding="utf-8"),
                base_url=Path(stylesheet).resolve().as_uri(),
                url_fetcher=self.fetcher,
                font_config=self.font_config,
            )
        ]

        # PDF/A needs an output intent. WeasyPrint 70 opens its sRGB profile for every PDF
        # and never closes the file (a ResourceWarning per certificate): read it once here
        # and name it as the output intent instead of "srgb".
        icc = (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
        self.srgb = _Profile(icc, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"]))

    def write_pdf(self, html: str, base_url: str) -> bytes:
        with self.lock:
            document = HTML(string=html, base_url=base_url, url_fetcher=self.fetcher)
            pdf = document.write_pdf(
                stylesheets=self.stylesheets,
                font_config=self.font_config,
                color_profiles={OUTPUT_INTENT: self.srgb},
                output_intent=OUTPUT_INTENT,
                pdf_variant=PDF_VARIANT,
                # Uploaded photos can be large: at most 200 dpi on paper is plenty.
                optimize_images=True,
                dpi=200,
                jpeg_quality=85,
                finisher=_compress_streams_once,
            )
        assert isinstance(pdf, bytes)
        return pdf


@functools.lru_cache(maxsize=2)
def _renderer_for(font_dir: Path) -> _Renderer:
    return _Renderer(font_dir)


def renderer() -> _Renderer:
    """The process's renderer: fonts and stylesheet are loaded once per font folder."""
    return _renderer_for(Path(settings.CERTIFICATE_FONT_DIR))


def _media_file(path: str) -> str:
    media_root = Path(settings.MEDIA_ROOT).resolve()
    absolute = (media_root / _media_relative(path)).resolve()
    if not absolute.is_relative_to(media_root) or not absolute.is_file():
        raise LayoutInvalid(
            gettext("The image %(path)s is not among the uploaded media.") % {"path": path}
        )
    return absolute.as_uri()


def certificate_html(content: CertificateContent, layout: Layout = Layout()) -> str:
    """The HTML WeasyPrint prints, every value escaped; raises GlyphsMissing first."""
    # A certificate is the same document whoever triggers it: the portal's first language.
    with translation.override(settings.LANGUAGE_CODE):
        labels = {key: str(label) for key, label in LABELS.items()}
        values = {
            "name": _one_line(content.holder_name),
            "course": _one_line(content.course_title),
            "hours": credit_hours_text(content.credit_hours),
            "date": chinese_date(content.issued_on),
            "serial": _one_line(content.serial),
            "issuer": _one_line(content.issuer),
            "completed": (
                chinese_date(content.completed_on)
                if content.completed_on
                else gettext("(date of completion not recorded)")
            ),
            "achievement": wording.achievement(content.basis),
        }
    title = _one_line(layout.title)
    lines = [line for line in layout.body.splitlines() if line.strip()]
    expires_on = chinese_date(content.expires_on) if content.expires_on else ""
    printed = [
        *values.values(),
        _plain(title, values),
        *(_plain(line, values) for line in lines),
        content.verify_url,
        expires_on,
        *labels.values(),
    ]
    missing = missing_glyphs("".join(printed))
    if missing:
        raise GlyphsMissing(missing)
    context = {
        "orientation": layout.orientation,
        "title": _fill(title, values),
        "plain_title": _plain(title, values),
        "paragraphs": [_fill(line, values) for line in lines],
        "values": values,
        "expires_on": expires_on,
        "labels": labels,
        "verify_url": content.verify_url,
        "qr_svg": _qr_svg(content.verify_url),
        "created": content.issued_on.isoformat(),
        "background_url": _media_file(layout.background) if layout.background else "",
        "seal_url": _media_file(layout.seal) if layout.seal else "",
        "seal_svg": "" if layout.seal else seal_svg(values["issuer"]),
    }
    return render_to_string(TEMPLATE, context)


def _plain(text: str, values: dict[str, str]) -> str:
    return "".join(literal + (values[name] if name else "") for literal, name in _parse(text))


#: The fixed words of every certificate, next to the trainer's title and body.
LABELS = {
    "serial": gettext_lazy("Certificate no."),
    "expires_on": gettext_lazy("Valid until"),
    "verify": gettext_lazy("Scan to verify"),
}


def render_pdf(content: CertificateContent, layout: Layout = Layout()) -> bytes:
    """The certificate as PDF/A-3b bytes.

    Raises GlyphsMissing (nothing is rendered) when a character has no font, and
    LayoutInvalid when the layout's images are not among the uploaded media.
    """
    html = certificate_html(content, layout)
    return renderer().write_pdf(html, Path(settings.MEDIA_ROOT).resolve().as_uri() + "/")
