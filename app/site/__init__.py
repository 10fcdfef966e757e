"""Site-wide pages that belong to no single domain: home and health check."""
