"""The catalog: regimen templates read from TOML, and the one resolver of the names users type."""
