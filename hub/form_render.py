"""Render KubeSpawner 7.1.0's real spawn form for profile lists.

A helper of test_form_safety.py, run as its own process
(``/usr/bin/python3 hub/form_render.py``) so that the upstream JupyterHub 5.5
and KubeSpawner 7.1 that ``upstream.py`` puts first on ``sys.path`` never meet
the Debian JupyterHub 3.0 that the other tests in hub/ import.

Reads a JSON array of profile lists on stdin; writes a JSON array with, for
each list, ``{"html": "<the form>"}`` or ``{"error": "<what KubeSpawner
raised>"}``.
"""

import json
import logging
import sys

import upstream


def main():
    lists = json.load(sys.stdin)
    logging.disable(logging.WARNING)  # the spawner's construction logs
    upstream.load()
    out = []
    for profile_list in lists:
        try:
            out.append({"html": upstream.render_form(profile_list)})
        except Exception as e:  # reported per list; the test decides
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
