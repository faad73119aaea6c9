"""Who met whom through the API: US and PRC officials joined by the meetings they attended."""

from urllib.parse import quote

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from articles.api import views as article_views
from diplomacy import selectors
from diplomacy.api.base import ERROR_RESPONSES, ConditionalGetMixin, ReadOnlyViewSet
from diplomacy.api.rows import SLUG_PLACEHOLDER
from diplomacy.choices import Side
from diplomacy.filtersets import NetworkFilterSet
from diplomacy.models import Meeting, Person


class NetworkNodeSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    side = serializers.ChoiceField(
        choices=[(Side.US.value, Side.US.label), (Side.CN.value, Side.CN.label)],
        help_text="`us` for US officials, `cn` for PRC officials (by the person's country).",
    )
    meeting_count = serializers.IntegerField(
        help_text="Matching meetings this official attended with an official of the other side."
    )
    url = serializers.URLField(help_text="The person's page on the site.")


class NetworkEdgeSerializer(serializers.Serializer):
    source = serializers.SlugField(help_text="The US official's slug.")
    target = serializers.SlugField(help_text="The PRC official's slug.")
    meeting_count = serializers.IntegerField()
    meeting_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="The meetings both attended, by id."
    )


class NetworkSerializer(serializers.Serializer):
    meeting_count = serializers.IntegerField(help_text="Matching meetings with an edge.")
    nodes = NetworkNodeSerializer(many=True, help_text="Most meetings first, then by name.")
    edges = NetworkEdgeSerializer(many=True, help_text="Most meetings first, then by names.")


NETWORK_PARAMETERS = [
    OpenApiParameter(
        "topic", OpenApiTypes.STR, many=True, description="Topic (slug; several match any)."
    ),
    OpenApiParameter(
        "channel", OpenApiTypes.STR, many=True, description="Channel (slug; several match any)."
    ),
    OpenApiParameter(
        "date_from",
        OpenApiTypes.DATE,
        description="Meetings whose dates overlap the range from this day.",
    ),
    OpenApiParameter(
        "date_to", OpenApiTypes.DATE, description="Meetings starting on or before this day."
    ),
    OpenApiParameter(
        "person",
        OpenApiTypes.STR,
        description="Person (slug): only the meetings this person attended (their network).",
    ),
]


def network_body(request, network: selectors.Network) -> dict:
    """Return the network in the documented shape, with absolute person page addresses."""
    page = request.build_absolute_uri(Person(slug=SLUG_PLACEHOLDER).get_absolute_url())
    return {
        "meeting_count": network.meeting_count,
        "nodes": [
            {
                "slug": node.slug,
                "name": node.name,
                "side": node.side,
                "meeting_count": node.meeting_count,
                "url": page.replace(SLUG_PLACEHOLDER, quote(node.slug)),
            }
            for node in network.nodes
        ],
        "edges": [
            {
                "source": edge.source,
                "target": edge.target,
                "meeting_count": edge.meeting_count,
                "meeting_ids": list(edge.meeting_ids),
            }
            for edge in network.edges
        ],
    }


class NetworkView(article_views.RequestLimitErrorsMixin, ConditionalGetMixin, GenericAPIView):
    """US and PRC officials joined by the meetings they attended together."""

    authentication_classes = ReadOnlyViewSet.authentication_classes
    renderer_classes = ReadOnlyViewSet.renderer_classes
    schema = ReadOnlyViewSet.schema
    queryset = Meeting.objects.visible()
    filterset_class = NetworkFilterSet
    serializer_class = NetworkSerializer
    pagination_class = None

    @extend_schema(
        summary="Who met whom",
        description="US officials (`side` `us`) and PRC officials (`side` `cn`) who attended "
        "the same visible meetings, and one edge per pair with the ids of those meetings. "
        "Filters as on the meeting list (`topic`, `channel`, `date_from`, `date_to`), and "
        "`person` for the network of one official's meetings. An invalid filter answers 400 "
        "naming it.",
        parameters=NETWORK_PARAMETERS,
        responses={200: NetworkSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Two officials",
                response_only=True,
                value={
                    "meeting_count": 2,
                    "nodes": [
                        {
                            "slug": "jake-sullivan",
                            "name": "Jake Sullivan",
                            "side": "us",
                            "meeting_count": 2,
                            "url": "https://backchannel.example/people/jake-sullivan/",
                        },
                        {
                            "slug": "wang-yi",
                            "name": "Wang Yi",
                            "side": "cn",
                            "meeting_count": 2,
                            "url": "https://backchannel.example/people/wang-yi/",
                        },
                    ],
                    "edges": [
                        {
                            "source": "jake-sullivan",
                            "target": "wang-yi",
                            "meeting_count": 2,
                            "meeting_ids": [12, 31],
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        meetings = self.filter_queryset(self.get_queryset())  # a 400 for invalid filters
        filters = [
            (name, value)
            for name in NetworkFilterSet.base_filters
            for value in request.query_params.getlist(name)
        ]
        network = selectors.meeting_network_cached(meetings, filters)
        return Response(network_body(request, network))
