"""The OpenAPI document, with numbers written as JSON numbers.

FAB's generator writes a Decimal field's bounds (``minimum: 0``) through the field, as
Decimal, which JSON turns into the string "0.0000": an invalid OpenAPI document. This
subclass hands the same document over with those values as numbers.
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.api.manager import OpenApi, SwaggerView


def _numbers(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


class RenkeiOpenApi(OpenApi):
    """``GET /api/<version>/_openapi``: FAB's document with valid numeric bounds."""

    @expose("/<version>/_openapi")
    @protect()
    @safe
    def get(self, version):
        """Get the OpenAPI document of one API version.
        ---
        get:
          description: Get the OpenAPI spec for a specific API version
          parameters:
          - in: path
            schema:
              type: string
            name: version
          responses:
            200:
              description: The OpenAPI spec
              content:
                application/json:
                  schema:
                    type: object
            404:
              $ref: '#/components/responses/404'
        """
        spec = self._create_api_spec(version)
        found = False
        for view in current_app.appbuilder.baseviews:
            if isinstance(view, BaseApi) and view.version == version:
                view.add_api_spec(spec)
                found = True
        if not found:
            return self.response_404()
        return self.response(200, **_numbers(spec.to_dict()))


def register_openapi(appbuilder) -> None:
    """Serve the document and FAB's bundled Swagger UI (its assets are local)."""
    appbuilder.add_api(RenkeiOpenApi)
    appbuilder.add_view_no_menu(SwaggerView)
