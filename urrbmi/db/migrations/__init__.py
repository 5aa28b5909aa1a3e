"""Alembic migrations of the registry and campaign ledger (run by ``urrbmi db upgrade``)."""
