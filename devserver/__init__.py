"""The development runner (`make run`) and the embedded PostgreSQL cluster it starts."""
