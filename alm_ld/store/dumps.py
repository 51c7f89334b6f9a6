"""Reading a dump (N-Quads or TriG) for ``load_dump``, with an error a person can act on.

Every backend parses the whole file *before* it writes anything, so a malformed dump leaves the
store untouched. Oxigraph's own parser is used for the backends that cannot parse inside their
write transaction (``memory:``, ``sparql:``) because it reports the line and column of the
first error, which rdflib's N-Quads parser does not.
"""

from __future__ import annotations

from typing import BinaryIO, Literal

import pyoxigraph as ox

from alm_ld.errors import InvalidDump

DumpFormat = Literal["nquads", "trig"]

OX_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
NAMES = {"nquads": "N-Quads", "trig": "TriG"}


def invalid_dump(error: Exception, fmt: str) -> InvalidDump:
    """The one-line error for a dump the parser refused (Oxigraph names line and column)."""
    text = error.msg if isinstance(error, SyntaxError) and error.msg else str(error)
    message = " ".join(text.split()) or type(error).__name__
    return InvalidDump(f"The file is not valid {NAMES.get(fmt, fmt)}: {message}. "
                       "Nothing was loaded.", line=getattr(error, "lineno", None))


def read_dump(data: BinaryIO, fmt: DumpFormat) -> list[ox.Quad]:
    """Every quad of the dump, or :class:`InvalidDump` (nothing has been written yet)."""
    try:
        return list(ox.parse(data, format=OX_FORMATS[fmt]))
    except (SyntaxError, ValueError) as error:
        raise invalid_dump(error, fmt)
