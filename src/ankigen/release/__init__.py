"""Releases: versions, the release record, the changelog, published packages."""
