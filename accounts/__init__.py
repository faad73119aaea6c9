"""Sign-in and API tokens. Imports neither `articles` nor `diplomacy`."""
