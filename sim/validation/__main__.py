"""``python -m sim.validation``: run every validation anchor and write the report.

See :mod:`sim.validation.report`; ``--help`` lists the options.
"""

import sys

from sim.validation.report import main

if __name__ == "__main__":
    sys.exit(main())
