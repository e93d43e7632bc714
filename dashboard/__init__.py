"""Accès aux soins dashboard: domain code (settings, store access, maths, figures, pipeline)."""
