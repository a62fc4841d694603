"""Organizations: community organizations, concertation tables, fiduciaries, Indigenous bodies."""
