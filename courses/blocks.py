"""StreamField blocks of a lesson: text, images, documents, videos and checkpoint questions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock


class VideoBlock(blocks.StructBlock):
    """A video from the document library or an embed; its duration drives coverage."""

    title = blocks.CharBlock(label=_("Title"), max_length=120)
    file = DocumentChooserBlock(
        label=_("Video file"),
        required=False,
        help_text=_("An MP4 or WebM file uploaded to the document library."),
    )
    embed = EmbedBlock(
        label=_("Embed URL"),
        required=False,
        help_text=_("Instead of a file: the address of a video on an approved platform."),
    )
    duration_seconds = blocks.IntegerBlock(
        label=_("Duration in seconds"),
        min_value=1,
        help_text=_("Learners must watch the configured share of this."),
    )

    class Meta:
        icon = "media"
        label = _("Video")
        template = "courses/blocks/video.html"

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if bool(value.get("file")) == bool(value.get("embed")):
            raise StructBlockValidationError(
                block_errors={
                    "file": ValidationError(_("Give either a video file or an embed URL.")),
                }
            )
        return value


class CheckpointBlock(blocks.StructBlock):
    """A question the learner must answer correctly before the lesson counts as complete."""

    question = blocks.CharBlock(label=_("Question"), max_length=300)
    options = blocks.ListBlock(
        blocks.CharBlock(label=_("Option"), max_length=200),
        label=_("Options"),
        min_num=2,
        max_num=6,
    )
    correct_option = blocks.IntegerBlock(
        label=_("Number of the correct option"),
        min_value=1,
        max_value=6,
        help_text=_("1 for the first option, 2 for the second, and so on."),
    )
    explanation = blocks.TextBlock(label=_("Explanation"), required=False)

    class Meta:
        icon = "help"
        label = _("Checkpoint question")
        template = "courses/blocks/checkpoint.html"

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value["correct_option"] > len(value["options"]):
            raise StructBlockValidationError(
                block_errors={
                    "correct_option": ValidationError(
                        _("There are only %(count)s options.") % {"count": len(value["options"])}
                    )
                }
            )
        options = [option.strip() for option in value["options"]]
        if len(set(options)) != len(options):
            raise StructBlockValidationError(
                block_errors={"options": ValidationError(_("Two options are the same."))}
            )
        return value


class LessonBodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=120, form_classname="title")
    paragraph = blocks.RichTextBlock(
        label=_("Text"), features=["bold", "italic", "ol", "ul", "link", "h3", "h4"]
    )
    image = ImageBlock(label=_("Image"))
    document = DocumentChooserBlock(label=_("Document"), template="courses/blocks/document.html")
    video = VideoBlock()
    checkpoint = CheckpointBlock()
