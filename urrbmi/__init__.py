"""urrbmi: runs the annual enrollment and contribution campaign (参保缴费) of China's
urban-rural resident basic medical insurance (城乡居民基本医疗保险) for a county or city."""

__version__ = "0.1.0"
