"""Sphinx configuration: the docs/*.md pages (MyST) and the API reference (autodoc).

Build: ``pip install ".[docs]" && sphinx-build -W -b html docs docs/_build`` (CI runs it
with warnings as errors through tests/test_docs_build.py).
"""
import os
import sys

sys.path.insert(0, os.path.abspath("_ext"))
sys.path.insert(0, os.path.abspath(".."))    # document this checkout, not an installed copy

project = "minigrad"
author = "the minigrad authors"
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "members"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}   # api/*.rst
root_doc = "index"
exclude_patterns = ["_build", "images/*.dot"]
myst_heading_anchors = 3                     # [text](page.md#a-heading) links resolve
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
html_theme = "alabaster"
