"""What the plugin's commands print of a pre-cache request.

Pure functions of the status API's documents (``precache_request``), so
that the tables, the live progress of ``watch``, its change lines and its
exit status can be read and tested without a cloud.
"""

from aggregates_ext import precache_status as states

FINAL = tuple(s for s in states.REQUEST_STATES if s not in states.UNFINISHED)
COUNT_NAMES = ('hosts', 'done', 'failed', 'skipped', 'remaining')

# Exit statuses of ``openstack aggregate precache watch``.
EXIT_COMPLETE = 0
EXIT_FAILED = 1     # partial, failed, or a host failed
EXIT_TIMEOUT = 2    # not finished within --timeout


def size(n):
    """Bytes as a short human text: ``512 B``, ``4.0 MiB``, ``1.2 GiB``."""
    if n is None:
        return '?'
    value = float(n)
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if value < 1024 or unit == 'GiB':
            break
        value /= 1024
    if unit == 'B':
        return '%d B' % n
    return '%.1f %s' % (value, unit)


def image_progress(image):
    """One image on one host: its state, and bytes or why it failed."""
    status = image['status']
    done, total = image.get('bytes_done'), image.get('bytes_total')
    if status in (states.DOWNLOADING, states.STALLED):
        if total:
            return '%s %s/%s (%d%%)' % (status, size(done or 0), size(total),
                                        100 * (done or 0) // total)
        return '%s %s' % (status, size(done or 0))
    if status in states.IMAGE_OK:
        return '%s %s' % (status, size(total)) if total else status
    if image.get('reason_code') not in (None, status):
        return '%s (%s)' % (status, image['reason_code'])
    return status


def counts_text(counts):
    return ', '.join('%s %d' % (name, counts[name]) for name in COUNT_NAMES)


def hosts_text(hosts):
    """Every host and, indented below it, its images: a table cell."""
    lines = []
    for host in hosts:
        via = ' via %s' % host['via'] if host.get('via') else ''
        lines.append('%s: %s%s' % (host['host'], host['status'], via))
        if host.get('detail'):
            lines.append('  %s' % host['detail'])
        for image in host['images']:
            lines.append('  %s: %s' % (image['id'], image_progress(image)))
    return '\n'.join(lines)


def is_final(request):
    return request['status'] in FINAL


def exit_status(request):
    """0 for a complete request, 1 if it or any of its hosts failed.

    A request still running (the watch timed out) is 2.
    """
    if not is_final(request):
        return EXIT_TIMEOUT
    if request['status'] != states.COMPLETE or any(
            h['status'] == states.HOST_FAILED
            for h in request.get('hosts', ())):
        return EXIT_FAILED
    return EXIT_COMPLETE


def header(request, aggregate, elapsed):
    counts = request['counts']
    return ('Pre-cache request %s of aggregate %s: %s, %d/%d hosts '
            'finished (%.0f s)' % (
                request['id'], aggregate, request['status'],
                counts['hosts'] - counts['remaining'], counts['hosts'],
                elapsed))


def progress_lines(request, aggregate, elapsed):
    """The live screen of ``watch``: a header, then host, image, progress."""
    rows = [('HOST', 'STATUS', 'IMAGE', 'PROGRESS')]
    for host in request['hosts']:
        first = True
        for image in host['images'] or [None]:
            rows.append((host['host'] if first else '',
                         host['status'] if first else '',
                         image['id'] if image else '',
                         image_progress(image) if image else ''))
            first = False
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [header(request, aggregate, elapsed)]
    for row in rows:
        lines.append('  '.join(cell.ljust(widths[i]) if i < 3 else cell
                               for i, cell in enumerate(row)).rstrip())
    return lines


def _states(request):
    """What a change line is printed for: request, host and image states."""
    found = {(): request['status']}
    for host in request['hosts']:
        found[(host['host'],)] = host['status']
        for image in host['images']:
            found[(host['host'], image['id'])] = image_progress(image)
    return found


def change_lines(before, after, elapsed):
    """One line per state that changed from ``before`` (None: the start)."""
    old = _states(before) if before else {}
    lines = []
    for key, value in _states(after).items():
        if old.get(key) == value:
            continue
        if not key:
            what = 'request %s' % after['id']
        else:
            what = ' '.join(key)
        lines.append('[%6.1fs] %s: %s' % (elapsed, what, value))
    return lines


def summary_lines(request, elapsed):
    """The end of ``watch``: the outcome, then what did not make it.

    Every host and image that failed or was skipped, with the reason the
    API gives.
    """
    lines = ['Pre-cache request %s %s after %.1f s: %s.' % (
        request['id'], request['status'], elapsed,
        counts_text(request['counts']))]
    for host in request['hosts']:
        if host['status'] in (states.HOST_FAILED, states.HOST_SKIPPED):
            lines.append('  %s: %s%s' % (
                host['host'], host['status'],
                ': %s' % host['detail'] if host.get('detail') else ''))
            continue
        for image in host['images']:
            if image['status'] not in states.IMAGE_OK:
                reason = image.get('reason')
                lines.append('  %s %s: %s%s' % (
                    host['host'], image['id'], image_progress(image),
                    ': %s' % reason if reason else ''))
    return lines
