"""alm-ld benchmarks: ``python -m benchmarks [--quick]`` (see :mod:`benchmarks.runner` and
docs/performance.md). The older single-purpose scripts (``validate_bench``, ``ingest_bench``)
stay importable and runnable on their own; the harness covers what they measure."""
