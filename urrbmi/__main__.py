"""`python -m urrbmi` runs the CLI."""

from urrbmi.interfaces.cli import main

main()
