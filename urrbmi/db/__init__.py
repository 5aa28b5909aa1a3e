"""urrbmi/db."""
