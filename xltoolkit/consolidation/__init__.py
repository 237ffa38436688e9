"""Consolidation of a year: intake into the archive and the ledger, aggregation, status, results."""
