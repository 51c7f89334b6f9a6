"""One module per upstream provider; :mod:`alm_ld.harvest.registry` lists them by name."""
