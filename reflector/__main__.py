"""`python -m reflector` is the `reflector` command."""

from reflector.cli import main

main()
