"""Who is calling: API tokens (and, with the dashboard, user sessions) and their roles."""
