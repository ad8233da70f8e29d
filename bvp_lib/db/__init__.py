"""The store: PostgreSQL engine, the embedded server, models and migrations."""

from bvp_lib.db.engine import database_url, get_engine, mask_url, session_scope, transaction

__all__ = ["database_url", "get_engine", "mask_url", "session_scope", "transaction"]
