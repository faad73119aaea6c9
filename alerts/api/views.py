"""Watches through the API: the signed-in user's own, and each one's delivery log."""

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action

from accounts.authentication import ApiTokenAuthentication
from alerts import selectors, services
from alerts.api.serializers import DeliveryAttemptSerializer, WatchSerializer
from alerts.models import Watch
from articles.api.serializers import ErrorSerializer

WATCH_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `errors` names the field."),
    401: OpenApiResponse(ErrorSerializer, description="Sign in or send a token."),
    404: OpenApiResponse(ErrorSerializer, description="No such watch of yours."),
}


@extend_schema_view(
    list=extend_schema(summary="Your watches", responses={200: WatchSerializer, **WATCH_ERRORS}),
    create=extend_schema(summary="Save a watch", responses={201: WatchSerializer, **WATCH_ERRORS}),
    retrieve=extend_schema(
        summary="One of your watches", responses={200: WatchSerializer, **WATCH_ERRORS}
    ),
    update=extend_schema(
        summary="Replace a watch", responses={200: WatchSerializer, **WATCH_ERRORS}
    ),
    partial_update=extend_schema(
        summary="Change a watch (or pause and resume it)",
        responses={200: WatchSerializer, **WATCH_ERRORS},
    ),
    destroy=extend_schema(summary="Delete a watch", responses={204: None, **WATCH_ERRORS}),
)
class WatchViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A signed-in user's watches: saved meeting filters delivered by webhook or email.

    Every user sees only their own; another user's watch answers 404.
    """

    serializer_class = WatchSerializer
    # Token first, so a client without credentials is told how to authenticate (401).
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a user
            return Watch.objects.none()
        return selectors.watches_of(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = self._save(None, serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer.instance, serializer.validated_data)

    @transaction.atomic
    def _save(self, watch, data: dict):
        values = dict(data)
        paused = values.pop("paused", None)
        try:
            if watch is None:
                watch = services.watch_create(self.request.user, values)
            else:
                watch = services.watch_update(watch, values)
        except services.WatchInvalid as invalid:
            raise serializers.ValidationError(invalid.errors) from None
        if paused is True and not watch.paused:
            services.watch_pause(watch)
        elif paused is False and watch.paused:
            services.watch_resume(watch)
        return watch

    @extend_schema(
        summary="A watch's delivery log",
        description="Every delivery attempt of the watch, newest first: when, for which "
        "event, the HTTP status or the error, and how long it took.",
        responses={200: DeliveryAttemptSerializer(many=True), **WATCH_ERRORS},
    )
    @action(detail=True, serializer_class=DeliveryAttemptSerializer)
    def deliveries(self, request, pk=None):
        attempts = selectors.watch_deliveries(self.get_object())
        page = self.paginate_queryset(attempts)
        return self.get_paginated_response(DeliveryAttemptSerializer(page, many=True).data)
