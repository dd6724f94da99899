#!/usr/bin/env bash
# make messages: extract the server's texts into novacart/translations/messages.pot (Python and Jinja,
# see babel.cfg), then bring every catalog up to date (a new language: `pybabel init`, see README).
# Translate the new entries (empty msgstr) in each messages.po; `make setup` compiles them.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=novacart/translations/messages.pot
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k Plural:1,2 -k lazy_pgettext:1c,2 -k lazy_ngettext:1,2 --no-location --sort-output \
  --project NovaCart --msgid-bugs-address "" -o "$pot" novacart 2>/dev/null
.venv/bin/pybabel update -i "$pot" -d novacart/translations --no-fuzzy-matching --ignore-obsolete 2>/dev/null
for po in novacart/translations/*/LC_MESSAGES/messages.po; do
  printf '%s: %s untranslated\n' "${po%/LC_MESSAGES/*}" \
    "$(.venv/bin/python -c 'import sys; from babel.messages.pofile import read_po; c = read_po(open(sys.argv[1], "rb")); print(sum(1 for m in c if m.id and (not m.string or m.fuzzy)))' "$po")"
done
