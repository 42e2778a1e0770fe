"""Link waves: ``python jobs/link_waves.py OLD NEW [...] --out DIR [--config job.yaml]``.

The same as ``nser-link link-waves``; a job script so that schedulers (and, with the
Spark backend, ``spark-submit``) can run it as a file.
"""

import sys

from linkage.cli import main

if __name__ == "__main__":
    sys.argv[1:1] = ["link-waves"]
    main()
