"""One module per way a user logs in to Authing."""
