"""The key domain in plain Python: format, hashing, verification, create and revoke.

Nothing in this package reads a Flask request; the blueprints and the request hook call it.
"""
