"""urrbmi/synth."""
