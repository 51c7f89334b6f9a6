"""``alm-ld harvest`` end to end against the replay server: files, summary, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from alm_ld.cli import main
from alm_ld.harvest.registry import PROVIDERS
from alm_ld.validate import validate_feed
from tests.support.replay import ReplayHTTPServer


@pytest.fixture()
def env(replay: ReplayHTTPServer, monkeypatch: pytest.MonkeyPatch) -> ReplayHTTPServer:
    for name, cls in PROVIDERS.items():
        monkeypatch.setenv(f"ALM_LD_{name.upper().replace('-', '_')}_API",
                           replay.url + urlsplit(cls.default_base_url).path)
    monkeypatch.setenv("ALM_LD_HTTP_RETRIES", "0")
    return replay


def test_two_providers_into_a_directory(env: ReplayHTTPServer, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    ids = tmp_path / "works.txt"
    ids.write_text("# demo works\n10.1371/journal.pone.0033693\n10.1371/notarealdoi\n")
    code = main(["harvest", "crossref", "opencitations", "--ids", str(ids),
                 "10.1108/jd-12-2013-0166", "--output", str(tmp_path / "feeds")])
    err = capsys.readouterr().err
    assert code == 0, err
    for name in ("crossref", "opencitations"):
        feed = json.loads((tmp_path / "feeds" / f"{name}.json").read_text())
        assert validate_feed(feed, "strict").valid
    assert "crossref: 1 done (0 from earlier run), 2 items, 2 skipped, 0 failed" in err
    assert "skipped https://doi.org/10.1371/notarealdoi: not found at crossref" in err


def test_partial_failure_exits_3_and_keeps_the_rest(env: ReplayHTTPServer, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "crossref.json"
    code = main(["harvest", "crossref", "--ids", "10.1039/c8cc06410e",
                 "10.1371/journal.pone.0033693", "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 3
    assert "FAILED https://doi.org/10.1039/c8cc06410e: crossref: answered HTTP 429" in err
    feed = json.loads(out.read_text())
    assert [i["value"] for i in feed["items"] if i["type"] == "Count"] == [72]


def test_single_provider_writes_stdout_and_resumes(env: ReplayHTTPServer, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    args = ["harvest", "plos", "--ids", "10.1371/journal.pone.0002154",
            "--state", str(tmp_path / "state")]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    env.state.log.clear()
    assert main(args) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["items"] == first["items"]
    assert "1 done (1 from earlier run)" in captured.err
    assert env.state.log == []


@pytest.mark.parametrize("argv,message", [
    (["harvest", "nosuch", "--ids", "10.1371/x"], "Unknown provider 'nosuch'"),
    (["harvest", "crossref", "--ids", "not-an-id"], "is not a work identifier"),
    (["harvest", "crossref", "--ids", "./missing.txt"], "does not exist"),
    (["harvest", "crossref", "plos", "--ids", "10.1371/x"], "need --output DIR"),
])
def test_usage_errors_exit_2(env: ReplayHTTPServer, argv: list[str], message: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_ingest_into_a_store(env: ReplayHTTPServer, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["harvest", "crossref", "--ids", "10.1371/journal.pone.0033693", "--ingest",
                 "--store", f"oxigraph:{tmp_path / 'store'}"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "crossref: ingested feed urn:uuid:" in err and "(created)" in err
