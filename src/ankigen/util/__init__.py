"""Small helpers every stage may use: atomic file writes, progress reports."""
