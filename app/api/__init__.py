"""Read-only JSON API (/api/v1) for HR systems and learning record stores, authenticated by API tokens."""
