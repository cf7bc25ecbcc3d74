"""/os-aggregates: host aggregates, as Nova serves them."""

from aggregates_ext import aggregates
from aggregates_ext.api.controllers import common
from aggregates_ext.api import dispatch
from aggregates_ext.api import microversion as mv
from aggregates_ext.api.schemas import aggregates as schema
from aggregates_ext.api import validation
from aggregates_ext.api.views import aggregates as view
from aggregates_ext import exception
from aggregates_ext.policies import aggregates as policies

_BEFORE_STRICT = mv.before(mv.STRICT_QUERY)
_BEFORE_UUID = mv.before(mv.AGGREGATE_UUID)


class AggregatesController:

    def __init__(self, api=None):
        self.api = api or aggregates.AggregateAPI()

    @dispatch.expected_errors({})
    @validation.query_schema(schema.index_query_legacy,
                             max_version=_BEFORE_STRICT)
    @validation.query_schema(schema.index_query, mv.STRICT_QUERY)
    @validation.response_body_schema(schema.index_response,
                                     max_version=_BEFORE_UUID)
    @validation.response_body_schema(schema.index_response_v241,
                                     mv.AGGREGATE_UUID)
    def index(self, req):
        """GET /os-aggregates: every aggregate, full representation."""
        req.context.can(policies.INDEX)
        return dispatch.Result(view.index(req, self.api.get_all(req.context)))

    @dispatch.expected_errors({exception.AggregateNameExists: 409,
                               exception.InvalidAggregateAction: 400})
    @validation.schema(schema.create)
    @validation.response_body_schema(schema.create_response,
                                     max_version=_BEFORE_UUID)
    @validation.response_body_schema(schema.create_response_v241,
                                     mv.AGGREGATE_UUID)
    def create(self, req, body):
        """POST /os-aggregates: 200 (not 201), no hosts or metadata."""
        context = req.context
        context.can(policies.CREATE)
        request = body['aggregate']
        az = request.get('availability_zone')
        agg = self.api.create(context, request['name'].strip(),
                              az.strip() if az else az)
        return dispatch.Result(view.show(req, agg, for_create=True))

    @dispatch.expected_errors({exception.AggregateNotFound: 404})
    @validation.query_schema(schema.show_query_legacy,
                             max_version=_BEFORE_STRICT)
    @validation.query_schema(schema.show_query, mv.STRICT_QUERY)
    @validation.response_body_schema(schema.show_response,
                                     max_version=_BEFORE_UUID)
    @validation.response_body_schema(schema.show_response_v241,
                                     mv.AGGREGATE_UUID)
    @common.typed_id_in_errors
    def show(self, req, id):
        """GET /os-aggregates/{id}."""
        context = req.context
        context.can(policies.SHOW)
        agg = self.api.get(context, common.parse_aggregate_id(id))
        return dispatch.Result(view.show(req, agg))

    @dispatch.expected_errors({exception.AggregateNotFound: 404,
                               exception.AggregateNameExists: 409,
                               exception.InvalidAggregateAction: 400,
                               exception.AggregateMetadataKeyExists: 400})
    @validation.schema(schema.update)
    @validation.response_body_schema(schema.show_response,
                                     max_version=_BEFORE_UUID)
    @validation.response_body_schema(schema.show_response_v241,
                                     mv.AGGREGATE_UUID)
    @common.typed_id_in_errors
    def update(self, req, id, body):
        """PUT /os-aggregates/{id}: rename and/or change the zone.

        Leading and trailing spaces of the name are stripped at every
        version.  Unlike Nova, a rename is not kept when the zone change in
        the same request is refused.
        """
        context = req.context
        context.can(policies.UPDATE)
        request = body['aggregate']
        name = request.get('name')
        az_given = 'availability_zone' in request
        agg = self.api.update(
            context, common.parse_aggregate_id(id),
            name=name.strip() if name is not None else None,
            az_given=az_given,
            availability_zone=request.get('availability_zone'))
        return dispatch.Result(view.show(req, agg, touched=az_given))

    @dispatch.expected_errors({exception.AggregateNotFound: 404,
                               exception.InvalidAggregateAction: 400})
    @validation.query_schema(schema.delete_query)
    @validation.response_body_schema(schema.delete_response)
    @common.typed_id_in_errors
    def delete(self, req, id):
        """DELETE /os-aggregates/{id}: 200 with an empty body."""
        context = req.context
        context.can(policies.DELETE)
        self.api.delete(context, common.parse_aggregate_id(id))
        return dispatch.Result(None)

    @dispatch.expected_errors({exception.AggregateNotFound: 404,
                               exception.ComputeHostNotFound: 404,
                               exception.Conflict: 409,
                               exception.InvalidAggregateAction: 409})
    @validation.schema(schema.add_host)
    @validation.response_body_schema(schema.show_response,
                                     max_version=_BEFORE_UUID)
    @validation.response_body_schema(schema.show_response_v241,
                                     mv.AGGREGATE_UUID)
    @common.typed_id_in_errors
    def add_host(self, req, id, body):
        """POST /os-aggregates/{id}/action add_host."""
        context = req.context
        context.can(policies.ADD_HOST)
        agg = self.api.add_host(context, common.parse_aggregate_id(id),
                                body['add_host']['host'])
        return dispatch.Result(view.show(req, agg))

    @dispatch.expected_errors({exception.NotFound: 404,
                               exception.Conflict: 409,
                               exception.InvalidAggregateAction: 409})
    @validation.schema(schema.remove_host)
    @validation.response_body_schema(schema.show_response,
                                     max_version=_BEFORE_UUID)
    @validation.response_body_schema(schema.show_response_v241,
                                     mv.AGGREGATE_UUID)
    def remove_host(self, req, id, body):
        """POST /os-aggregates/{id}/action remove_host.

        An unknown host, a host that is not a member and an unknown
        aggregate all give the same 404 text, as on Nova.
        """
        context = req.context
        context.can(policies.REMOVE_HOST)
        host = body['remove_host']['host']
        try:
            agg = self.api.remove_host(
                context, common.parse_aggregate_id(id), host)
        except (exception.AggregateNotFound,
                exception.AggregateHostNotFound,
                exception.ComputeHostNotFound):
            raise exception.NotFound(
                'Cannot remove host %s in aggregate %s' % (host, id))
        return dispatch.Result(view.show(req, agg))

    @dispatch.expected_errors({exception.AggregateNotFound: 404,
                               exception.InvalidAggregateAction: 400,
                               exception.AggregateMetadataKeyExists: 400})
    @validation.schema(schema.set_metadata)
    @validation.response_body_schema(schema.show_response,
                                     max_version=_BEFORE_UUID)
    @validation.response_body_schema(schema.show_response_v241,
                                     mv.AGGREGATE_UUID)
    @common.typed_id_in_errors
    def set_metadata(self, req, id, body):
        """POST /os-aggregates/{id}/action set_metadata: merge, not replace."""
        context = req.context
        context.can(policies.SET_METADATA)
        agg = self.api.set_metadata(context, common.parse_aggregate_id(id),
                                    body['set_metadata']['metadata'])
        return dispatch.Result(view.show(req, agg, touched=True))


ACTIONS = {
    'add_host': 'add_host',
    'remove_host': 'remove_host',
    'set_metadata': 'set_metadata',
}
