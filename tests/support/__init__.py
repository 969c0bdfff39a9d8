"""Helpers behind the fixtures in ``tests/conftest.py``: servers, databases, users, forms."""
