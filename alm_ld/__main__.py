"""``python -m alm_ld`` is the same as the ``alm-ld`` command."""

from alm_ld.cli import main

raise SystemExit(main())
