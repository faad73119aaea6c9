from django.dispatch import Signal

# Sent after the transaction that stored an article's text commits. Receivers take
# `article_id` and start processing it (diplomacy extracts meetings from it).
article_stored = Signal()
