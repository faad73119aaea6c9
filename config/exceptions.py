"""One JSON error shape for the whole API: {"detail": "...", "errors": {field: [messages]}}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A service refused an operation for a reason the client can fix."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, status_code: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status_code is not None:
            self.status_code = status_code


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": exc.message}
        if exc.field:  # name the field at fault, in the same shape as serializer errors
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is restarting or unreachable: tell clients to retry, in the API's shape.
        return Response(
            {"detail": "The database is unavailable for a moment; retry shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(data, dict):
            response.data = {"detail": "The request has invalid fields.", "errors": data}
        else:
            response.data = {"detail": " ".join(str(item) for item in data)}
    elif not (isinstance(data, dict) and "detail" in data):
        response.data = {"detail": data}
    return response
