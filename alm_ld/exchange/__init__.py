"""Exchange: the dataset as versioned files other services mirror (issue 17).

* :mod:`~alm_ld.exchange.writers` — generators yielding a dump chunk by chunk (N-Quads, JSON-LD
  lines, CSV of current values), one feed graph at a time, so a dump of any size passes
  through a bounded amount of memory on its way to disk or to an HTTP response;
* :mod:`~alm_ld.exchange.snapshots` — snapshots and deltas written into the dumps folder
  (:func:`alm_ld.exchange.snapshots.dumps_folder`) with a manifest (``index.json``);
* :mod:`~alm_ld.exchange.mirror` — the client side: newest snapshot, deltas, then the live
  tail, verifying every file's sha256 (``alm-ld mirror``).

Pipeline level: reads the store and the change-feed ordering (:mod:`alm_ld.analytics.changes`);
never imports the web or the CLI. Sequence numbers are the feeds' ``alm:sequence``; a file
covering sequences ``a..b`` holds exactly the feed graphs with ``a <= alm:sequence <= b`` (and
each feed's alert graph), so a mirror at sequence ``b`` continues ``/changes`` from the cursor
after feed ``b`` with neither gap nor overlap.
"""
