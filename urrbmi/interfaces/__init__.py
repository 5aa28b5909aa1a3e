"""urrbmi/interfaces."""
