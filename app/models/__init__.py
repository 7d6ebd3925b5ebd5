"""Database models: one module per database (intake here; the console has its own)."""
