"""Content negotiation that does not negotiate: DRF's views import their settings' classes, so this
lives apart from the modules that import DRF's views."""

from rest_framework.negotiation import BaseContentNegotiation


class AlwaysJson(BaseContentNegotiation):
    """The first renderer (JSON) and the first parser, whatever the request asks for or sends."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
