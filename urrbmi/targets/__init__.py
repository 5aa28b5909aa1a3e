"""urrbmi/targets."""
