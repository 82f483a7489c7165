"""`python -m elecost`: the same as the `elecost` command."""

from elecost.cli import main

main()
