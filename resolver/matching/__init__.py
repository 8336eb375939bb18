"""Matching: candidate generation (blocking index) and scoring of query names against the registry."""
