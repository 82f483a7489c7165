"""Tariffs: the model, loading and validating files, and the pure cost calculation."""
