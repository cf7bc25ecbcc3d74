"""Aggregate representations per microversion, in Nova's key order."""

from oslo_utils import timeutils

from aggregates_ext.api import microversion
from aggregates_ext.api.views import common

_datetime = common.datetime_text


def aggregate(req, agg, for_create=False, touched=False):
    """One aggregate as Nova shows it.

    :param for_create: the create response, which has no hosts or metadata
    :param touched: show ``updated_at`` as now, as Nova's set_metadata and
        availability-zone PUT responses do although nothing is persisted
    """
    body = {'id': agg.id}
    if req.api_version.matches(microversion.AGGREGATE_UUID):
        body['uuid'] = agg.uuid
    body['name'] = agg.name
    metadata = agg.metadata_dict
    if not for_create:
        body['hosts'] = agg.hosts
        body['metadata'] = metadata
    updated_at = timeutils.utcnow() if touched else agg.updated_at
    body['created_at'] = _datetime(agg.created_at)
    body['updated_at'] = _datetime(updated_at)
    body['deleted_at'] = None
    body['deleted'] = False
    body['availability_zone'] = metadata.get('availability_zone')
    return body


def show(req, agg, **kwargs):
    return {'aggregate': aggregate(req, agg, **kwargs)}


def index(req, aggregates):
    return {'aggregates': [aggregate(req, agg) for agg in aggregates]}
