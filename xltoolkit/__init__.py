"""xltoolkit: spreadsheet-native monitoring of a provincial Children's Action Program."""

__version__ = "0.1.0"
