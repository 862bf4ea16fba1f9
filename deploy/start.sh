#!/bin/sh
# Start script of the container and of the systemd unit.
#   start.sh init   build the demo city when there is no database yet, then exit (compose: once)
#   start.sh serve  the same, then the app (serve.py: sign-in routes, warm-up) on 0.0.0.0:${PORT:-8501}
#                   (extra arguments go to Streamlit)
#   start.sh CMD …  any other command as it is, e.g. `python -m data import …` in the container
set -eu
cd "$(dirname "$0")/.."
db="${INTEGRATIONSMONITOR_DB:-data/integrationsmonitor.duckdb}"
mode="${1:-serve}"
[ "$#" -gt 0 ] && shift

demo_when_empty() {
    # A dangling link is a broken database, not a missing one: `demo` refuses it with the restore command.
    if [ ! -e "$db" ] && [ ! -L "$db" ]; then
        echo "Keine Datenbank unter $db: die Demostadt Musterstadt wird erzeugt." >&2
        python -m data demo --db "$db" >&2
    fi
}

case "$mode" in
    init) demo_when_empty ;;
    serve)
        demo_when_empty
        exec streamlit run serve.py \
            --server.address "${ADDRESS:-0.0.0.0}" --server.port "${PORT:-8501}" \
            --browser.gatherUsageStats false "$@" ;;
    *) exec "$mode" "$@" ;;
esac
