"""Offline pipeline: the only code that reads raw files (read -> validate -> compute -> publish)."""
