"""Registries: parsing sanctions lists and keeping them in a versioned DuckDB store."""
