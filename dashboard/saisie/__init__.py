"""Saisie du trimestre: entries, submissions, review, publication and audit (see docs/saisie.md)."""
