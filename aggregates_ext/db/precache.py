"""Pre-cache requests and what each host made of them."""

import json

from oslo_utils import timeutils
from oslo_utils import uuidutils

from aggregates_ext.db import engines
from aggregates_ext.db import models
from aggregates_ext import exception


def create_request(aggregate, image_ids):
    with engines.writer() as session:
        req = models.PrecacheRequest(
            uuid=uuidutils.generate_uuid(), aggregate_id=aggregate.id,
            aggregate_uuid=aggregate.uuid, image_ids=json.dumps(image_ids),
            hosts=json.dumps(aggregate.hosts), status='pending')
        session.add(req)
        session.flush()
        return req


def get_request(request_uuid):
    with engines.reader() as session:
        req = session.query(models.PrecacheRequest).filter_by(
            uuid=request_uuid).one_or_none()
        if req is None:
            raise exception.NotFound()
        return req


def list_requests(aggregate_id=None):
    with engines.reader() as session:
        query = session.query(models.PrecacheRequest)
        if aggregate_id is not None:
            query = query.filter_by(aggregate_id=aggregate_id)
        return query.order_by(models.PrecacheRequest.id).all()


def set_status(request_uuid, status, finished=False, conductor=None):
    with engines.writer() as session:
        req = session.query(models.PrecacheRequest).filter_by(
            uuid=request_uuid).one()
        req.status = status
        if conductor is not None:
            req.conductor = conductor
        if finished:
            req.finished_at = timeutils.utcnow()
        session.flush()
        return req


def interrupt(conductor):
    """Mark the requests a restarted conductor was running as interrupted.

    oslo.messaging acknowledges a cast before it runs it, so a request
    whose conductor died is not delivered again; without this it would
    show as running for ever.  Returns how many were marked.
    """
    with engines.writer() as session:
        reqs = session.query(models.PrecacheRequest).filter_by(
            conductor=conductor, status='running').all()
        for req in reqs:
            req.status = 'interrupted'
            req.finished_at = timeutils.utcnow()
        session.flush()
        return len(reqs)


def save_host_result(request_uuid, host, status, images, detail=None):
    with engines.writer() as session:
        req = session.query(models.PrecacheRequest).filter_by(
            uuid=request_uuid).one()
        row = session.query(models.PrecacheHostResult).filter_by(
            request_id=req.id, host=host).one_or_none()
        if row is None:
            row = models.PrecacheHostResult(request_id=req.id, host=host)
            session.add(row)
        row.status = status
        row.images = json.dumps(images, sort_keys=True)
        row.detail = detail[:255] if detail else None
        session.flush()
        return row
