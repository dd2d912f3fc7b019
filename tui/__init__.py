"""The Textual app of qa: screens and widgets only; qa does the work."""
