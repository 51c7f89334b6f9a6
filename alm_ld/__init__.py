"""alm-ld: article-level metrics as linked data.

The package is layered (see README "Architecture"): base modules (errors, config, vocab,
resources) are imported by the pure core (identifiers, validate, mapping), which is imported by
IO (harvest, store), then pipeline, then the interfaces (web, cli). Inner layers never import
outer ones; ``tests/test_layers.py`` enforces it.
"""

__version__ = "0.1.0"
