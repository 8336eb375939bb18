"""Ownership chains and per-jurisdiction ownership rules (OFAC 50%, EU, UK, BIS Affiliates)."""
