#!/usr/bin/env bash
# Rebuilds colour/FOGRA39L.icc, the output intent of the default press profile, from
# FOGRA's published characterization data for ISO 12647-2 coated offset (FOGRA39L).
# Needs Debian's icc-profiles-free (the .ti3 data, zlib licence) and argyll (colprof).
# The result differs from the committed file only in its creation date and ID.
set -euo pipefail
cd "$(dirname "$0")"
command -v colprof >/dev/null || apt-get install -y -qq argyll icc-profiles-free
work=$(mktemp -d)
cp /usr/share/color/icc/FOGRA39L.ti3 "$work/"
colprof -qm -D "Coated FOGRA39 (ISO 12647-2:2004)" \
  -C "Built with ArgyllCMS colprof from FOGRA39L.ti3 (icc-profiles-free, zlib licence)" \
  "$work/FOGRA39L"
mv "$work/FOGRA39L.icc" FOGRA39L.icc
rm -rf "$work"
