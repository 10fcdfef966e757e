"""Face-to-face and online training events: registration, waiting list, calendar, attendance."""
