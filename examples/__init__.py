"""Example tariffs and readings, shipped inside the package for `rate init` and `demo`."""
