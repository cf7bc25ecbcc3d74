"""Pre-cache requests as the status API shows them."""

from oslo_utils import timeutils

from aggregates_ext.api.views import common
from aggregates_ext import conf
from aggregates_ext import precache_status as states

CONF = conf.CONF
_datetime = common.datetime_text


def _counts(req):
    hosts = list(req.aggregate.get('hosts') or [])
    by_host = {r.host: r.status for r in req.results}
    counts = {'hosts': len(hosts), 'done': 0, 'failed': 0, 'skipped': 0}
    names = {states.HOST_DONE: 'done', states.HOST_FAILED: 'failed',
             states.HOST_SKIPPED: 'skipped'}
    for host in hosts:
        name = names.get(by_host.get(host))
        if name:
            counts[name] += 1
    counts['remaining'] = (counts['hosts'] - counts['done'] -
                           counts['failed'] - counts['skipped'])
    return counts


def summary(req):
    return {
        'id': req.uuid,
        'aggregate_id': req.aggregate_id,
        'aggregate_uuid': req.aggregate_uuid,
        'status': req.status,
        'images': list(req.image_ids),
        'request_id': req.request_id,
        'conductor': req.conductor,
        'created_at': _datetime(req.created_at),
        'updated_at': _datetime(req.updated_at),
        'started_at': _datetime(req.started_at),
        'finished_at': _datetime(req.finished_at),
        'counts': _counts(req),
    }


def _image(image_id, row, now):
    if row is None:
        return {'id': image_id, 'status': states.IMAGE_PENDING,
                'reason_code': None, 'reason': None, 'bytes_done': None,
                'bytes_total': None, 'updated_at': None}
    status = row.status
    last = row.updated_at or row.created_at
    if (status == states.DOWNLOADING and last is not None and
            (now - last).total_seconds() > CONF.image_cache.stall_seconds):
        status = states.STALLED
    return {'id': image_id, 'status': status,
            'reason_code': row.reason_code, 'reason': row.reason,
            'bytes_done': row.bytes_done, 'bytes_total': row.bytes_total,
            'updated_at': _datetime(last)}


def detail(req):
    """The request with every host and, per host, every image."""
    now = timeutils.utcnow()
    results = {r.host: r for r in req.results}
    images = {(row.host, row.image_id): row for row in req.images}
    hosts = []
    for host in req.aggregate.get('hosts') or []:
        result = results.get(host)
        hosts.append({
            'host': host,
            'status': result.status if result else states.HOST_PENDING,
            # Recorded before the host is asked; shown once it is.
            'via': (result.via if result and
                    result.status != states.HOST_PENDING else None),
            'detail': result.detail if result else None,
            'images': [_image(i, images.get((host, i)), now)
                       for i in req.image_ids],
        })
    body = summary(req)
    body['hosts'] = hosts
    return body


def index(http_req, aggregate_id, requests, page_size):
    body = {'precache_requests': [summary(r) for r in requests]}
    if page_size and len(requests) == page_size:
        body['precache_requests_links'] = [{
            'rel': 'next',
            'href': common.next_link(
                http_req, requests[-1].uuid,
                'os-aggregates/%s/precache-requests' % aggregate_id)}]
    return body


def show(req):
    return {'precache_request': detail(req)}
