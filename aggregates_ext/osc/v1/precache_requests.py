"""``openstack aggregate precache list|show|watch``.

What became of the image pre-cache requests of an aggregate
(``openstack aggregate cache image``), host by host and image by image,
from the status API (``/os-aggregates/{id}/precache-requests``,
microversion 2.81, admin-only by default).
"""

import shutil
import time

from osc_lib.cli import format_columns
from osc_lib.command import command

from aggregates_ext.osc import views
from aggregates_ext import precache_status as states

SHOW_FIELDS = ('id', 'aggregate_id', 'aggregate_uuid', 'status', 'images',
               'request_id', 'conductor', 'created_at', 'started_at',
               'updated_at', 'finished_at', 'counts', 'hosts')
LIST_COLUMNS = (('ID', 'id'), ('Status', 'status'), ('Images', 'images'),
                ('Hosts', 'hosts'), ('Done', 'done'), ('Failed', 'failed'),
                ('Skipped', 'skipped'), ('Remaining', 'remaining'),
                ('Created At', 'created_at'))
LONG_COLUMNS = (('Request ID', 'request_id'), ('Conductor', 'conductor'),
                ('Started At', 'started_at'),
                ('Finished At', 'finished_at'))
# Redraw the screen: to the start of the line N lines up, clear below.
_UP_AND_CLEAR = '\x1b[%dF\x1b[J'


class CountsColumn(format_columns.DictColumn):
    def human_readable(self):
        return views.counts_text(self._value)


class HostsColumn(format_columns.ListDictColumn):
    def human_readable(self):
        return views.hosts_text(self._value)


def _client(app):
    return app.client_manager.aggregates_ext


def _add_aggregate_argument(parser):
    parser.add_argument('aggregate', metavar='<aggregate>',
                        help='Aggregate (name or ID)')


def _add_request_argument(parser):
    parser.add_argument(
        'request', metavar='<request>', nargs='?',
        help='Pre-cache request: its ID, or the request ID ("req-...") of '
             'the API request that made it (default: the newest request '
             'of the aggregate)')


def _find_request(client, aggregate, parsed_args):
    if parsed_args.request:
        return client.find_request(aggregate['id'], parsed_args.request)
    return client.newest_request(aggregate['id'])


class ListPrecacheRequest(command.Lister):
    """List the image pre-cache requests of an aggregate, newest first"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_aggregate_argument(parser)
        parser.add_argument(
            '--status', metavar='<status>', action='append', default=[],
            choices=states.REQUEST_STATES,
            help='Only requests in this state (repeat for several): %s'
                 % ', '.join(states.REQUEST_STATES))
        parser.add_argument(
            '--request-id', metavar='<request-id>', action='append',
            default=[],
            help='Only the request made by this API request '
                 '(x-openstack-request-id of the POST; repeatable)')
        parser.add_argument(
            '--limit', metavar='<num>', type=int,
            help='At most this many requests (default: all)')
        parser.add_argument(
            '--marker', metavar='<request>',
            help='Start after this request (its ID)')
        parser.add_argument(
            '--long', action='store_true', default=False,
            help='Also the request ID, conductor, start and finish times')
        return parser

    def take_action(self, parsed_args):
        client = _client(self.app)
        aggregate = client.find_aggregate(parsed_args.aggregate)
        requests = client.list_requests(
            aggregate['id'], status=parsed_args.status,
            request_id=parsed_args.request_id, limit=parsed_args.limit,
            marker=parsed_args.marker)
        columns = LIST_COLUMNS + (LONG_COLUMNS if parsed_args.long else ())
        rows = []
        for request in requests:
            values = dict(request, **request['counts'])
            values['images'] = format_columns.ListColumn(request['images'])
            rows.append(tuple(values[key] for _name, key in columns))
        return tuple(name for name, _key in columns), rows


class ShowPrecacheRequest(command.ShowOne):
    """Show an image pre-cache request: every host, every image"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_aggregate_argument(parser)
        _add_request_argument(parser)
        return parser

    def take_action(self, parsed_args):
        client = _client(self.app)
        aggregate = client.find_aggregate(parsed_args.aggregate)
        request = _find_request(client, aggregate, parsed_args)
        values = dict(request)
        values['images'] = format_columns.ListColumn(request['images'])
        values['counts'] = CountsColumn(request['counts'])
        values['hosts'] = HostsColumn(request['hosts'])
        return SHOW_FIELDS, tuple(values[name] for name in SHOW_FIELDS)


class WatchPrecacheRequest(command.Command):
    """Follow an image pre-cache request host by host until it finishes

    Exit status: 0 when every host cached every image (complete), 1 when
    the request ends partial or failed, 2 when it is still running after
    --timeout.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_aggregate_argument(parser)
        _add_request_argument(parser)
        parser.add_argument(
            '--interval', metavar='<seconds>', type=float, default=2.0,
            help='Seconds between two looks at the request (default 2)')
        parser.add_argument(
            '--timeout', metavar='<seconds>', type=float,
            help='Give up after this many seconds (exit status 2; '
                 'default: wait until the request finishes)')
        return parser

    def take_action(self, parsed_args):
        client = _client(self.app)
        aggregate = client.find_aggregate(parsed_args.aggregate)
        request = _find_request(client, aggregate, parsed_args)
        out = self.app.stdout
        screen = Screen(out) if _isatty(out) else ChangeLog(out)
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            screen.show(request, aggregate['name'], elapsed)
            timed_out = (parsed_args.timeout is not None and
                         elapsed >= parsed_args.timeout)
            if views.is_final(request) or timed_out:
                break
            time.sleep(max(0.1, parsed_args.interval))
            request = client.get_request(aggregate['id'], request['id'])
        for line in views.summary_lines(request, elapsed):
            out.write(line + '\n')
        if not views.is_final(request):
            out.write('Still %s after %.0f s (--timeout).\n'
                      % (request['status'], elapsed))
        out.flush()
        return views.exit_status(request)


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Screen:
    """Live progress on a terminal: the same lines, redrawn in place."""

    def __init__(self, out):
        self.out = out
        self.drawn = 0

    def show(self, request, aggregate, elapsed):
        width = shutil.get_terminal_size().columns
        # Cut to the terminal's width: a wrapped line would make the next
        # redraw start too low.
        lines = [line[:width - 1]
                 for line in views.progress_lines(request, aggregate,
                                                  elapsed)]
        if self.drawn:
            self.out.write(_UP_AND_CLEAR % self.drawn)
        self.out.write('\n'.join(lines) + '\n')
        self.out.flush()
        self.drawn = len(lines)


class ChangeLog:
    """Progress into a file or a pipe: one line per change, no escapes."""

    def __init__(self, out):
        self.out = out
        self.last = None

    def show(self, request, aggregate, elapsed):
        if self.last is None:
            self.out.write(views.header(request, aggregate, elapsed) + '\n')
        for line in views.change_lines(self.last, request, elapsed):
            self.out.write(line + '\n')
        self.out.flush()
        self.last = request
