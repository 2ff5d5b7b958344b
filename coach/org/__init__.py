"""The organisation: who may see whom, and the people who sign in."""
