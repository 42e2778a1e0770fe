"""Derive from people and households: golden records, lineage, updates, partner matches,
the unregistered."""
