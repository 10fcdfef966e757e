"""Privacy: a person's own data as a JSON archive, and anonymising an account while keeping its completion facts."""
