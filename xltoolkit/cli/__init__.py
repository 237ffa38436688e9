"""The command-line adapter: thin click commands over the public API, rendering its result objects."""

from xltoolkit.cli.main import main

__all__ = ["main"]
