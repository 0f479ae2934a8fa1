# Where the public datasets are (sourced by models/make-models.sh, models/make-tuned.sh and scripts/page-model.sh):
# `data_root DIR…` prints the first of $LINGBRIDGE_DATA, ./data and ../shared/data that holds every DIR, or fails
# with a message naming what was looked for — one search, so the scripts cannot disagree on which copy they read.
data_root() {
  local root dir missing
  for root in "${LINGBRIDGE_DATA:-}" ./data ../shared/data; do
    [ -n "$root" ] || continue
    missing=""
    for dir in "$@"; do [ -d "$root/$dir" ] || missing=1; done
    if [ -z "$missing" ]; then printf '%s\n' "$root"; return 0; fi
  done
  echo "no copy of the datasets holding $* (looked in \$LINGBRIDGE_DATA, ./data, ../shared/data; scripts/fetch-data.sh downloads them)" >&2
  return 1
}
