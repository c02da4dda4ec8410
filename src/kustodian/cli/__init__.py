"""The `kustodian` command line."""

import os

# numpy (line splitting in ingestion) would otherwise start a BLAS thread per core that no
# command uses, and that spins beside DuckDB's threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
