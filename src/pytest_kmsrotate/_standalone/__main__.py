"""`python -m pytest_kmsrotate._standalone serve ...`: the console command `kmsrotate` without its script."""

import sys

from .cli import main

sys.exit(main())
