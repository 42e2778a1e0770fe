"""Resolve records into people and households: keys, scoring, clustering."""
