"""React to articles being stored: articles announces, diplomacy extracts."""
