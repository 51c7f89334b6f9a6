"""``python -m benchmarks``: run the benchmark harness."""

import sys

from benchmarks.runner import main

sys.exit(main())
