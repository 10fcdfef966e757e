"""People, organisations, sign-in sessions and passwords."""
