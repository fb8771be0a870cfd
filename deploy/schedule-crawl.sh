#!/bin/sh
# Schedule one icmpd_news crawl on the local Scrapyd; for cron or a systemd timer (README.md,
# "Scheduling"). Exits non-zero, with Scrapyd's answer on stderr, when the job was not scheduled
# (Scrapyd answers some refusals, such as an unknown project, with HTTP 200 and "status": "error").
#
#   ICMPD_OUTPUT_DIR  the dataset folder, absolute (required): the same folder every run, so each
#                     run merges into, and deduplicates against, the same articles.jsonl.
#   SCRAPYD_URL       default http://127.0.0.1:6800
#   SCRAPYD_NETRC     curl's credentials file (default ~/.netrc), a line
#                     "machine 127.0.0.1 login USER password PASSWORD", mode 600: a password on
#                     curl's command line would be readable by every local user (ps).
#   Arguments         passed on to curl, e.g. -d feed_url=URL or -d setting=NAME=VALUE.
set -eu
: "${ICMPD_OUTPUT_DIR:?set ICMPD_OUTPUT_DIR to the dataset folder (an absolute path)}"
case "$ICMPD_OUTPUT_DIR" in
    /*) ;;
    *) echo "ICMPD_OUTPUT_DIR must be an absolute path, got $ICMPD_OUTPUT_DIR" >&2; exit 2 ;;
esac
response=$(curl --fail --silent --show-error --netrc-file "${SCRAPYD_NETRC:-$HOME/.netrc}" \
    "${SCRAPYD_URL:-http://127.0.0.1:6800}/schedule.json" \
    -d project=icmpd_news -d spider=icmpd_news -d "setting=OUTPUT_DIR=$ICMPD_OUTPUT_DIR" "$@")
case "$response" in
    *'"status": "ok"'*) echo "$response" ;;
    *) echo "Scrapyd did not schedule the crawl: $response" >&2; exit 1 ;;
esac
