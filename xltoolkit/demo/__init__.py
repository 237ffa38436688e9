"""Seeded sample returns, the whole yearly cycle on them, and the LibreOffice driver they are saved with."""
