"""`make bench`: flaskstack's defaults measured against the alternatives (see run.py)."""
