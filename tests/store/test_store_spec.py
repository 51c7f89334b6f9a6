"""The store spec is read by one parser (alm_ld/store/spec.py): what each spec means, and the
same clear error for a bad spec whether it reaches ``open_store``, ``serve`` or ``ingest``."""

from __future__ import annotations

import re

import pytest

from alm_ld.cli import main
from alm_ld.errors import EXIT_USAGE, ConfigError
from alm_ld.store import open_store
from alm_ld.store.spec import StoreSpec


@pytest.mark.parametrize(("text", "scheme", "remote", "on_disk", "in_process"), [
    ("oxigraph:var/store", "oxigraph", False, True, False),
    ("oxigraph:", "oxigraph", False, False, True),
    ("memory:", "memory", False, False, True),
    ("sparql:http://127.0.0.1:7878/query", "sparql", True, False, False),
])
def test_what_a_spec_means(text, scheme, remote, on_disk, in_process):
    spec = StoreSpec.parse(text)
    assert (spec.scheme, spec.remote, spec.on_disk, spec.in_process) == (
        scheme, remote, on_disk, in_process)
    assert str(spec) == text


def test_a_sparql_spec_names_its_query_and_update_urls():
    spec = StoreSpec.parse("sparql:http://h:7878/query;http://h:7878/update")
    assert (spec.query_url, spec.update_url) == ("http://h:7878/query", "http://h:7878/update")
    assert StoreSpec.parse("sparql:https://h/q").update_url is None  # read-only


@pytest.mark.parametrize(("text", "message"), [
    ("bogus:x", "Unknown store 'bogus:x'"),
    ("var/store", "Unknown store 'var/store'"),
    ("memory:x", "memory: takes no argument"),
    ("sparql:ftp://h/q", "needs an http(s) query URL"),
])
def test_a_bad_spec_is_one_clear_configuration_error(text, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        StoreSpec.parse(text)
    assert raised.value.exit_code == EXIT_USAGE
    with pytest.raises(ConfigError, match=re.escape(message)):
        open_store(text)


@pytest.mark.parametrize("command", ["serve", "ingest", "query"])
def test_every_command_reports_a_bad_spec_the_same_way(command, capsys, tmp_path):
    feed = tmp_path / "feed.json"
    feed.write_text("{}", encoding="utf-8")
    argv = {"serve": ["serve", "--store", "memory:x", "--port", "0"],
            "ingest": ["ingest", "--store", "memory:x", str(feed)],
            "query": ["query", "--store", "memory:x", "ASK {}"]}[command]
    assert main(argv) == EXIT_USAGE
    assert "memory: takes no argument (got 'x')" in capsys.readouterr().err
