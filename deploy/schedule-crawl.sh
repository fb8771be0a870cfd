#!/bin/sh
# Schedule one icmpd_news crawl on the local Scrapyd; for cron or a systemd timer (docs/operations.md,
# "Scheduling"). Exits non-zero, with Scrapyd's answer on stderr, when the job was not scheduled
# (Scrapyd answers some refusals, such as an unknown project, with HTTP 200 and "status": "error").
#
#   --wait            (first argument) wait for the job to finish and exit with the run's own
#                     exit status, from its summary file ICMPD_OUTPUT_DIR/runs/<run-id>.summary.json:
#                     0 when the run did its job, 1 when it failed or wrote no summary (it never
#                     started: see its log in Scrapyd). Scrapyd itself lists a failed job like
#                     a good one.
#   ICMPD_OUTPUT_DIR  the dataset folder, absolute (required): the same folder every run, so each
#                     run merges into, and deduplicates against, the same articles.jsonl.
#   SCRAPYD_URL       default http://127.0.0.1:6800
#   SCRAPYD_NETRC     curl's credentials file (default ~/.netrc), a line
#                     "machine 127.0.0.1 login USER password PASSWORD", mode 600: a password on
#                     curl's command line would be readable by every local user (ps).
#   SCRAPYD_POLL_SECONDS  with --wait, seconds between two looks at the job (default 10).
#   Arguments         passed on to curl, e.g. -d feed_url=URL or -d setting=NAME=VALUE.
set -eu
wait=
if [ "${1:-}" = "--wait" ]; then
    wait=1
    shift
fi
: "${ICMPD_OUTPUT_DIR:?set ICMPD_OUTPUT_DIR to the dataset folder (an absolute path)}"
case "$ICMPD_OUTPUT_DIR" in
    /*) ;;
    *) echo "ICMPD_OUTPUT_DIR must be an absolute path, got $ICMPD_OUTPUT_DIR" >&2; exit 2 ;;
esac
scrapyd="${SCRAPYD_URL:-http://127.0.0.1:6800}"
netrc="${SCRAPYD_NETRC:-$HOME/.netrc}"
response=$(curl --fail --silent --show-error --netrc-file "$netrc" "$scrapyd/schedule.json" \
    -d project=icmpd_news -d spider=icmpd_news -d "setting=ICMPD_OUTPUT_DIR=$ICMPD_OUTPUT_DIR" "$@")
case "$response" in
    *'"status": "ok"'*) echo "$response" ;;
    *) echo "Scrapyd did not schedule the crawl: $response" >&2; exit 1 ;;
esac
[ -n "$wait" ] || exit 0

job=$(printf '%s\n' "$response" | sed -n 's/.*"jobid": "\([^"]*\)".*/\1/p')
while :; do
    state=$(curl --fail --silent --show-error --netrc-file "$netrc" \
        "$scrapyd/status.json?project=icmpd_news&job=$job")
    case "$state" in
        *'"currstate": "finished"'*) break ;;
        *'"currstate": "pending"'* | *'"currstate": "running"'*) sleep "${SCRAPYD_POLL_SECONDS:-10}" ;;
        *) echo "Scrapyd no longer knows job $job: $state" >&2; exit 1 ;;
    esac
done
# The run's summary names its Scrapyd job; its top-level keys are one per line (indent 1).
summary=$(grep -l "^ \"scrapyd_job\": \"$job\",\$" "$ICMPD_OUTPUT_DIR"/runs/*.summary.json 2>/dev/null | head -n 1 || true)
if [ -z "$summary" ]; then
    echo "job $job: FAILED: it wrote no run summary in $ICMPD_OUTPUT_DIR/runs (it did not start; see its log in Scrapyd)" >&2
    exit 1
fi
status=$(sed -n 's/^ "exit_status": \([0-9]*\),$/\1/p' "$summary")
reason=$(sed -n 's/^ "reason": "\(.*\)",$/\1/p' "$summary")
if [ "$status" = 0 ]; then
    echo "job $job: OK (exit status 0); summary: $summary"
    exit 0
fi
echo "job $job: FAILED (exit status ${status:-unknown}): $reason; summary: $summary" >&2
exit 1
