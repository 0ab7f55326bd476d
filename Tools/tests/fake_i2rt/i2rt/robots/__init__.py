"""Stand-in for `i2rt.robots` (see `i2rt/__init__.py`: tests only)."""
