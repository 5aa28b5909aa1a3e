"""urrbmi/imports."""
