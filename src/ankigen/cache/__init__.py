"""The only code that knows caching exists: render cache and the last build's record."""
