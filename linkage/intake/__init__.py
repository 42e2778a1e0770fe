"""Intake: read files, map their columns, validate rows."""
