"""The certificate PDF, read back with poppler (pdftotext, pdffonts, pdfinfo, pdfimages):
what it says, its fonts, its pages, and what a hostile name or template cannot do."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import zlib
from dataclasses import replace
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from certificates import fonts, rendering
from certificates.rendering import (
    CertificateContent,
    FetchRefused,
    GlyphsMissing,
    Layout,
    LayoutInvalid,
    LocalFilesFetcher,
)

CONTENT = CertificateContent(
    holder_name="王晓明",
    course_title="电子政务与数字化转型基础",
    credit_hours=Decimal("12.50"),
    issued_on=date(2026, 11, 28),
    serial="ZJ-2026-000123",
    issuer="浙江省公务员网络学院",
    verify_url="https://academy.example.gov.cn/verify/ABCDEFGH23456789/",
    expires_on=date(2029, 11, 28),
)
# 堃 and 喆 are outside GB 2312 (full Noto), 䶮 is Extension A, 𠮷 (U+20BB7) Extension B
# in Noto, 𠀀 (U+20000) Extension B that only Hanazono has.
RARE_NAME = "王堃喆䶮𠮷𠀀"
MARKUP = "<script>alert(1)</script><img src=http://x/>"


def poppler(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / f"{tool}.pdf"
    path.write_bytes(pdf)
    command = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def text_of(pdf: bytes, tmp_path: Path) -> str:
    return poppler("pdftotext", pdf, tmp_path)


def squeezed(text: str) -> str:
    """Text without any white space: pdftotext breaks lines where the layout did."""
    return re.sub(r"\s+", "", text)


def fonts_of(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    lines = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    result = []
    for line in lines:
        # name, type (several words), encoding, emb, sub, uni, object id, generation
        parts = line.split()
        result.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return result


def drawn_characters(pdf: bytes) -> dict[str, bool]:
    """Every character the PDF prints, and whether its embedded font draws it with a real
    outline (not .notdef, not an empty glyph): the ToUnicode map gives the glyph id."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    page = reader.root["/Pages"]["/Kids"][0]
    drawn: dict[str, bool] = {}
    for font_ref in page["/Resources"]["/Font"].values():
        font = font_ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"]
        stream = descriptor["/FontFile3" if "/FontFile3" in descriptor else "/FontFile2"]
        embedded = TTFont(io.BytesIO(stream.data))
        glyph_order = embedded.getGlyphOrder()
        glyph_set = embedded.getGlyphSet()
        to_unicode = font["/ToUnicode"].data.decode("latin-1")
        mappings = "".join(re.findall(r"beginbfchar(.*?)endbfchar", to_unicode, re.S))
        for gid_hex, text_hex in re.findall(r"<([0-9a-f]+)> <([0-9a-f]+)>", mappings):
            gid = int(gid_hex, 16)
            text = bytes.fromhex(text_hex).decode("utf-16-be")
            real = 0 < gid < len(glyph_order)
            if real:
                pen = RecordingPen()
                glyph_set[glyph_order[gid]].draw(pen)
                real = bool(pen.value) or text.isspace()
            for character in text:
                drawn[character] = drawn.get(character, False) or real
    return drawn


@pytest.fixture(scope="module")
def landscape_pdf() -> bytes:
    return rendering.render_pdf(CONTENT)


def test_the_name_course_and_serial_can_be_read_back_from_the_pdf(landscape_pdf, tmp_path):
    text = squeezed(text_of(landscape_pdf, tmp_path))

    assert "王晓明" in text
    assert "电子政务与数字化转型基础" in text
    assert "ZJ-2026-000123" in text
    assert "浙江省公务员网络学院" in text
    assert "https://academy.example.gov.cn/verify/ABCDEFGH23456789/" in text


def test_dates_are_written_the_chinese_way_and_hours_in_学时(landscape_pdf, tmp_path):
    text = squeezed(text_of(landscape_pdf, tmp_path))

    assert "2026年11月28日" in text
    assert "2029年11月28日" in text  # valid until
    assert "12.5学时" in text
    assert rendering.chinese_date(date(2027, 1, 5)) == "2027年1月5日"
    assert rendering.credit_hours_text(Decimal("12.50")) == "12.5 学时"
    assert rendering.credit_hours_text(Decimal("10.0")) == "10 学时"
    assert rendering.credit_hours_text(Decimal("3")) == "3 学时"


def test_every_font_is_embedded_and_subset(landscape_pdf, tmp_path):
    used = fonts_of(landscape_pdf, tmp_path)

    assert used
    assert all(font["emb"] == "yes" and font["sub"] == "yes" for font in used), used
    assert all(font["uni"] == "yes" for font in used), used


def test_the_pre_subset_faces_are_used_when_they_exist(landscape_pdf, tmp_path, settings):
    font_dir = Path(settings.CERTIFICATE_FONT_DIR)
    assert fonts.available_subsets(font_dir) == list(fonts.FACES), (
        f"run `manage.py certificate_fonts` (make does) to write the faces to {font_dir}"
    )
    names = {font["name"].split("+", 1)[1] for font in fonts_of(landscape_pdf, tmp_path)}

    # One family in two weights: a third face would cost its own subsetting (issue 5).
    assert names == {"Certificate-Serif", "Certificate-Serif-Bold"}
    # The goal of issue 5: at most 150 KB for a certificate.
    assert len(landscape_pdf) < 150_000


def test_the_pre_subset_faces_are_truetype_drawing_each_character_as_noto_does(settings):
    # TrueType outlines halve WeasyPrint's subsetting and the embedded glyphs (issue 5);
    # renumbered and redrawn, every character must still look as the system face draws it.
    common = [ord(character) for character in "王晓明结业证书，《》啊齄ぁAg·"]
    rare = [ord(character) for character in "堃喆䶮𠮷玥珺昇淏祎"]
    for face in fonts.FACES:
        sample = rare if face.extended else common
        found = fonts.system_face(face)
        assert found is not None
        with TTFont(found[0], fontNumber=found[1], lazy=True) as system:
            expected = fonts._shapes(system, sample)
        with TTFont(Path(settings.CERTIFICATE_FONT_DIR) / face.filename) as subset:
            assert "glyf" in subset and "CFF " not in subset
            drawn = fonts._shapes(subset, sample)
        assert [
            chr(codepoint)
            for codepoint in sample
            if expected[codepoint].differs_from(drawn[codepoint], 2 * fonts.TRUETYPE_MAX_ERROR)
        ] == []


def test_a_name_with_rare_characters_renders_each_with_a_real_glyph(tmp_path):
    pdf = rendering.render_pdf(replace(CONTENT, holder_name=RARE_NAME))

    assert RARE_NAME in squeezed(text_of(pdf, tmp_path))
    drawn = drawn_characters(pdf)
    for character in RARE_NAME:
        assert drawn.get(character) is True, f"{character} U+{ord(character):04X}"
    names = {font["name"].split("+", 1)[1] for font in fonts_of(pdf, tmp_path)}
    # The extended subset has Noto's hanzi outside GB 2312 (the whole system face, a 27 MB
    # collection, would cost 15 ms more), Hanazono what Noto lacks.
    assert "Certificate-Serif-Extended-Bold" in names
    assert not [name for name in names if name.startswith("Noto")]
    assert [name for name in names if name.startswith("HanaMin")]


def test_every_character_of_an_ordinary_certificate_is_drawn_with_a_real_glyph(landscape_pdf):
    drawn = drawn_characters(landscape_pdf)

    assert drawn
    assert [character for character, real in drawn.items() if not real] == []


def test_a_name_no_installed_font_covers_fails_before_rendering_naming_the_characters(
    monkeypatch,
):
    def no_rendering(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("nothing is rendered when glyphs are missing")

    monkeypatch.setattr(rendering._Renderer, "write_pdf", no_rendering)
    # U+E000 is private use, U+0378 is unassigned.
    name = "张\ue000三\u0378"

    with pytest.raises(GlyphsMissing) as caught:
        rendering.render_pdf(replace(CONTENT, holder_name=name))

    assert caught.value.characters == ["\ue000", "\u0378"]
    assert "U+E000" in str(caught.value)
    assert "U+0378" in str(caught.value)


def test_missing_glyphs_skips_white_space_and_finds_what_no_font_has():
    assert rendering.missing_glyphs("王 晓明\n\t张三·李四 Zoë") == []
    assert rendering.missing_glyphs(RARE_NAME) == []
    assert rendering.missing_glyphs("a\ue000b\U0010fffd\u0378a\ue000") == [
        "\ue000",
        "\U0010fffd",
        "\u0378",
    ]


def test_markup_in_the_name_and_course_is_printed_as_text_and_fetches_nothing(
    monkeypatch, tmp_path
):
    fetched: list[str] = []
    original = LocalFilesFetcher.fetch

    def recording_fetch(self: LocalFilesFetcher, url: str, headers: Any = None) -> Any:
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(LocalFilesFetcher, "fetch", recording_fetch)
    content = replace(CONTENT, holder_name=MARKUP, course_title=f"网络安全{MARKUP}")

    html = rendering.certificate_html(content)
    pdf = rendering.render_pdf(content)

    assert "<script>" not in html
    assert "<img src=http" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = squeezed(text_of(pdf, tmp_path))
    assert squeezed(MARKUP) in text
    assert squeezed(f"网络安全{MARKUP}") in text
    assert not [url for url in fetched if not url.startswith("file://")]


def test_the_trainers_title_and_body_are_escaped_too(tmp_path):
    layout = Layout(title="<b>结业证书</b>", body='<img src="http://x/">{name}\n<i>特发此证</i>')

    html = rendering.certificate_html(CONTENT, layout)
    text = squeezed(text_of(rendering.render_pdf(CONTENT, layout), tmp_path))

    assert "<b>" not in html and "<i>" not in html and "<img" not in html
    assert "<b>结业证书</b>" in text
    assert '<imgsrc="http://x/">王晓明' in text
    assert "<i>特发此证</i>" in text


def test_each_line_of_the_body_becomes_a_paragraph_with_its_placeholders_filled():
    layout = Layout(
        body="{name}同志：\n\n  \n于{date}完成{course}，计{hours}。\n编号{serial}，{issuer}"
    )

    html = rendering.certificate_html(CONTENT, layout)
    body = html.split('<section class="body">', 1)[1].split("</section>", 1)[0]
    paragraphs = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", body)]

    assert paragraphs == [
        "王晓明同志：",
        "于2026年11月28日完成电子政务与数字化转型基础，计12.5 学时。",
        "编号ZJ-2026-000123，浙江省公务员网络学院",
    ]


@pytest.mark.parametrize(
    "text",
    ["{nam}", "{name!r}", "{name:>10}", "{0}", "{}", "{name.__class__}", "{name[0]}"],
)
def test_unknown_or_decorated_placeholders_are_refused_naming_the_known_ones(text):
    with pytest.raises(LayoutInvalid) as caught:
        rendering.placeholders_check(f"致{text}同志")

    assert text in str(caught.value)
    assert "{name} {course} {hours} {date} {serial} {issuer}" in str(caught.value)


def test_a_lone_brace_is_refused_and_doubled_braces_print_a_brace():
    with pytest.raises(LayoutInvalid):
        rendering.placeholders_check("结业{证书")
    with pytest.raises(LayoutInvalid):
        Layout(body="}{name}")

    rendering.placeholders_check("{{编号}} {serial}")
    html = rendering.certificate_html(CONTENT, Layout(body="{{编号}} {serial}"))
    assert "{编号} " in re.sub(r"<[^>]+>", "", html)


def test_a_layout_refuses_an_unknown_orientation_and_images_outside_media():
    Layout(orientation="portrait")
    with pytest.raises(LayoutInvalid):
        Layout(orientation="diagonal")
    for path in ("../secret.png", "/etc/passwd", "images/../../x.png", ""):
        with pytest.raises(LayoutInvalid):
            Layout(background=path)
        with pytest.raises(LayoutInvalid):
            Layout(seal=path)


def test_landscape_and_portrait_certificates_are_one_a4_page(landscape_pdf, tmp_path):
    portrait = rendering.render_pdf(CONTENT, Layout(orientation="portrait"))

    landscape_info = poppler("pdfinfo", landscape_pdf, tmp_path)
    portrait_info = poppler("pdfinfo", portrait, tmp_path)
    assert re.search(r"Pages:\s+1\n", landscape_info)
    assert re.search(r"Pages:\s+1\n", portrait_info)
    assert "Page size:       841.89 x 595.276 pts (A4)" in landscape_info
    assert "Page size:       595.276 x 841.89 pts (A4)" in portrait_info


def test_compressing_each_stream_once_leaves_the_pdf_byte_for_byte_the_same(
    landscape_pdf, monkeypatch
):
    compressions: list[int] = []
    original = zlib.compressobj

    def counting_compressobj(*args: Any, **kwargs: Any) -> Any:
        compressions.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(zlib, "compressobj", counting_compressobj)
    once = rendering.render_pdf(CONTENT)
    compressed_once = len(compressions)
    monkeypatch.setattr(rendering, "_compress_streams_once", lambda document, pdf: None)
    twice = rendering.render_pdf(CONTENT)

    assert once == twice == landscape_pdf
    assert compressed_once < len(compressions) - compressed_once


def test_the_pdf_identifies_itself_as_pdf_a_3b(landscape_pdf, tmp_path):
    metadata = poppler("pdfinfo", landscape_pdf, tmp_path, "-meta")

    assert 'pdfaid:part="3"' in metadata
    assert 'pdfaid:conformance="B"' in metadata
    info = poppler("pdfinfo", landscape_pdf, tmp_path)
    assert "Title:           结业证书 ZJ-2026-000123" in info
    assert "Author:          浙江省公务员网络学院" in info


def test_every_certificate_carries_the_standard_srgb_profile_as_its_output_intent():
    standard = (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
    for _ in range(3):  # WeasyPrint alone changes the profile's bytes after the first PDF
        reader = PdfFileReader(io.BytesIO(rendering.render_pdf(CONTENT)), strict=False)
        (intent,) = reader.root["/OutputIntents"]

        assert intent["/S"] == "/GTS_PDFA1"
        assert intent["/DestOutputProfile"].data == standard


def test_the_qr_code_is_drawn_as_vectors_next_to_the_printed_url(landscape_pdf, tmp_path):
    html = rendering.certificate_html(CONTENT)

    assert re.search(r'<svg viewBox="0 0 (\d+) \1"', html)
    assert '<path class="qrline"' in html
    images = poppler("pdfimages", landscape_pdf, tmp_path, "-list").splitlines()[2:]
    assert images == []  # no bitmap: the QR code and the frame are vector drawings


def test_background_and_seal_come_from_the_uploaded_media(media_root, tmp_path):
    (media_root / "original_images").mkdir()
    Image.new("RGB", (300, 200), (250, 245, 230)).save(media_root / "original_images/bg.jpg")
    Image.new("RGBA", (120, 120), (200, 20, 20, 200)).save(media_root / "original_images/s.png")
    layout = Layout(background="original_images/bg.jpg", seal="original_images/s.png")

    pdf = rendering.render_pdf(CONTENT, layout)

    images = poppler("pdfimages", pdf, tmp_path, "-list").splitlines()[2:]
    kinds = sorted(line.split()[2] for line in images)
    assert kinds == ["image", "image", "smask"]  # the photo, the seal and its transparency


def test_an_image_missing_from_media_is_a_layout_error(media_root):
    with pytest.raises(LayoutInvalid) as caught:
        rendering.render_pdf(CONTENT, Layout(seal="original_images/none.png"))

    assert "original_images/none.png" in str(caught.value)


def test_a_symbolic_link_out_of_media_is_a_layout_error(media_root, tmp_path):
    secret = tmp_path / "secret.png"
    Image.new("RGB", (10, 10)).save(secret)
    (media_root / "link.png").symlink_to(secret)

    with pytest.raises(LayoutInvalid):
        rendering.render_pdf(CONTENT, Layout(background="link.png"))


def test_the_url_fetcher_refuses_the_network_and_files_outside_the_project(media_root, tmp_path):
    fetcher = LocalFilesFetcher()
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"not for certificates")
    (media_root / "escape.png").symlink_to(outside)
    refused = [
        "http://x/",
        "https://example.com/seal.png",
        "ftp://example.com/seal.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "file://otherhost/etc/passwd",
        outside.as_uri(),
        f"{media_root.as_uri()}/../outside.png",
        f"{media_root.as_uri()}/escape.png",
        f"{media_root.as_uri()}/missing.png",
    ]

    for url in refused:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)

    (media_root / "seal.png").write_bytes(b"\x89PNG seal")
    response = fetcher.fetch(f"{media_root.as_uri()}/seal.png")
    assert response.read() == b"\x89PNG seal"
    assert response.content_type == "image/png"


def test_without_the_pre_subset_faces_certificates_still_render_with_a_warning(
    settings, tmp_path, caplog
):
    settings.CERTIFICATE_FONT_DIR = tmp_path / "no-fonts"

    with caplog.at_level(logging.WARNING, logger="certificates.rendering"):
        pdf = rendering.render_pdf(CONTENT)

    assert "manage.py certificate_fonts" in caplog.text
    assert "王晓明" in squeezed(text_of(pdf, tmp_path))
    names = " ".join(font["name"] for font in fonts_of(pdf, tmp_path))
    assert "Noto-Serif-CJK-SC" in names
    assert all(font["emb"] == "yes" for font in fonts_of(pdf, tmp_path))


def test_the_subset_faces_hold_gb2312_with_the_frequent_hanzi_first():
    characters = fonts.subset_characters()

    assert characters[:3] == [" ", "!", '"']
    assert len(characters) == len(set(characters))
    # 啊 opens GB 2312 level 1 and 齄 closes level 2; the symbols come after both.
    assert characters.index("啊") < characters.index("齄") < characters.index("ぁ")
    assert "堃" not in characters
    assert sum(1 for c in characters if "\u4e00" <= c <= "\u9fff") == 6763


def test_every_hanzi_of_gb_18030_has_an_installed_glyph():
    # The ideographs GB 18030-2022 maps (as of Unicode 10): the unified block, Extension A,
    # and Extensions B to F, for the names the public security registry allows. Later
    # Unicode additions (U+9FF0 on, U+4DB6 on, U+2A6D7 on, ...) are not in the standard.
    ranges = [
        (0x4E00, 0x9FEF),
        (0x3400, 0x4DB5),
        (0x20000, 0x2A6D6),
        (0x2A700, 0x2B734),
        (0x2B740, 0x2B81D),
        (0x2B820, 0x2CEA1),
        (0x2CEB0, 0x2EBE0),
    ]
    hanzi = "".join(chr(code) for start, end in ranges for code in range(start, end + 1))

    assert len(hanzi) == 87_875
    assert rendering.missing_glyphs(hanzi) == []
