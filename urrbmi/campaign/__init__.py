"""urrbmi/campaign."""
