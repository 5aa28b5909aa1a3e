"""urrbmi/registry."""
