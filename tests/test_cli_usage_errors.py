"""Every CLI usage error is one line, ``alm-ld: Usage error: …``, exit 2, like any other error."""

from __future__ import annotations

import pytest

from alm_ld.cli import main


@pytest.mark.parametrize("argv", [
    ["nothing"],
    ["validate"],
    ["validate", "--bogus", "x.json"],
    ["validate", "--profile", "lax", "x.json"],
    ["query", "--format", "png", "ASK {}"],
    ["serve", "--port", "eighty"],
])
def test_usage_error_is_one_line(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("alm-ld: Usage error: "), err
    assert "--help" in err
