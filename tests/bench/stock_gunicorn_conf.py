"""gunicorn settings of the scale benchmark's stock FAB app: none (gunicorn's defaults).

Given with --config so the repository's gunicorn.conf.py (Renkei's) is not read for it.
"""
