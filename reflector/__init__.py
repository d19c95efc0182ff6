"""reflector — the mail bot and workflow engine of a standards group's secretariat.

Read DESIGN.md beside the repository (../shared/DESIGN.md) for the architecture; README.md for
how to run it.
"""

__version__ = "0.1.0"
