"""One module per command: orchestration of the stages, nothing more."""
