"""Names vulture reports that are used, from outside Python's sight (make lint)."""
comments  # callbacks/saisie.py reject(): a Dash State argument the callback must accept, read by a later edit
