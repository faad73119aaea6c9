from rest_framework import status

from config.exceptions import DomainError


class IngestError(DomainError):
    """An article could not be accepted; the message says why in the reader's words."""


class TextTooLarge(IngestError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
