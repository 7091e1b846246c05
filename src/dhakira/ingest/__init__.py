"""Ingest: discover files, preserve their bytes, record their provenance, derive metadata."""
