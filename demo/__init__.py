"""The demo: data files (lessons in Markdown, question banks and the tree in YAML) and the
one loader that reads them (``demo.loader``). See docs/demo.md."""
