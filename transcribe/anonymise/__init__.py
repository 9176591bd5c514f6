"""Anonymisation: detect identifiers, keep a study-wide key, review, and apply."""
