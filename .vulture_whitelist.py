"""Names vulture reports that are used, from outside Python's sight (make lint)."""
comments  # callbacks/saisie.py reject(): Dash passes the State positionally; the body reads it via ctx.states_list
