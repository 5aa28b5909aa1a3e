"""urrbmi/policy."""
