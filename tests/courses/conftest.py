"""Course fixtures live in tests/conftest.py so the gates can use the same content."""
