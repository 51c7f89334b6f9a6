"""The store spec (``--store`` / ``ALM_LD_STORE``) read once into a :class:`StoreSpec`.

=====================================  ==========================================================
spec                                   meaning
=====================================  ==========================================================
``oxigraph:PATH``                      embedded persistent Oxigraph; ``oxigraph:`` alone is an
                                       in-memory Oxigraph
``memory:``                            rdflib in-memory Dataset
``sparql:QUERY_URL[;UPDATE_URL]``      a SPARQL 1.1 Protocol/Update server
=====================================  ==========================================================

Every caller that needs to know what kind of store it has (the backends, ``serve``'s worker
rules, ``/healthz``, the remote-store checks) asks this one parser, so a spec is judged the same
way everywhere and a bad one always gets the same :class:`~alm_ld.errors.ConfigError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from alm_ld.errors import ConfigError

SCHEMES = ("oxigraph", "memory", "sparql")
USAGE = "oxigraph:PATH, memory: or sparql:QUERY_URL[;UPDATE_URL]"


@dataclass(frozen=True)
class StoreSpec:
    """A valid store spec: ``scheme`` plus its argument, ``path`` (``oxigraph:``; empty for the
    in-memory Oxigraph) or ``query_url``/``update_url`` (``sparql:``; no update URL: read-only).
    ``text`` is the spec as given, which messages quote."""

    scheme: str
    text: str
    path: str = ""
    query_url: str = ""
    update_url: str | None = None

    @classmethod
    def parse(cls, text: str) -> StoreSpec:
        """The spec ``text`` means, or :class:`ConfigError` naming what is wrong with it."""
        scheme, sep, rest = text.partition(":")
        if not sep or scheme not in SCHEMES:
            raise ConfigError(
                f"Unknown store {text!r}; use {USAGE} (setting ALM_LD_STORE or option --store).")
        if scheme == "memory":
            if rest:
                raise ConfigError(f"memory: takes no argument (got {rest!r}); use 'memory:'.")
            return cls(scheme, text)
        if scheme == "sparql":
            query_url, _, update_url = rest.partition(";")
            if not query_url.startswith(("http://", "https://")):
                raise ConfigError(
                    f"sparql:{rest} needs an http(s) query URL, e.g. "
                    "sparql:http://127.0.0.1:7878/query;http://127.0.0.1:7878/update")
            return cls(scheme, text, query_url=query_url, update_url=update_url or None)
        return cls(scheme, text, path=rest)

    @property
    def remote(self) -> bool:
        """Reached over the network: a server whose configuration alm-ld does not own."""
        return self.scheme == "sparql"

    @property
    def on_disk(self) -> bool:
        """An embedded Oxigraph folder: one process may open it read-write at a time."""
        return self.scheme == "oxigraph" and bool(self.path)

    @property
    def in_process(self) -> bool:
        """Data that lives in this process only (``memory:``, ``oxigraph:`` without a path)."""
        return not self.remote and not self.on_disk

    def __str__(self) -> str:
        return self.text


__all__ = ["SCHEMES", "USAGE", "StoreSpec"]
