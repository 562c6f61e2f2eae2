"""Schema-level tests: every construct declaration parses, builds and sizes (issue 11)."""
