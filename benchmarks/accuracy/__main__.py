"""`python -m benchmarks.accuracy`: see benchmarks/accuracy/report.py."""

import sys

from benchmarks.accuracy.report import main

sys.exit(main())
