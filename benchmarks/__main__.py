"""`python -m benchmarks`: run every benchmark and rewrite benchmarks/README.md."""

from benchmarks.run_all import main

main()
