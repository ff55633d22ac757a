"""The API's routers, one per resource (mounted in api/rest.py)."""
