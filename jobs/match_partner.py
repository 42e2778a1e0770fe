"""Match a partner list: ``python jobs/match_partner.py --registry W --partner P --out DIR``.

The same as ``nser-link match-partner``; a job script so that schedulers and
``spark-submit`` (with ``backend: {name: spark}`` in the config) can run it as a file.
"""

import sys

from linkage.cli import main

if __name__ == "__main__":
    sys.argv[1:1] = ["match-partner"]
    main()
