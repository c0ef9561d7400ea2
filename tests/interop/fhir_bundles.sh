#!/bin/bash
# Write the FHIR bundles issue 37's figures were counted over (48): every shipped regimen and schedule,
# pediatric weights, afami-cel with and without an infusion date and with a clinic, a plan file with
# records (and after a stop), an all-day plan with a given dose, a closed day, doses past 24 months,
# and `batch --fhir` plain, levelled, and with a clinic book (twice). Then run a strict validator:
#   tests/interop/fhir_bundles.sh OUT && node ~/.cache/fhirval/fhirval.mjs --no-medplum $(find OUT -name '*.json')
# A development tool, not a test: the suite holds the rules in tests/test_fhir_rules.py.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1; rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT"
T="${TXCAL:-txcal}"
export SOURCE_DATE_EPOCH=1795132800
P="--start 2027-03-01 --time 09:00 --tz America/New_York"
$T plan atezolizumab --every 2w $P --doses 3 --format fhir > atezo-2w.json
$T plan atezolizumab --every 3w $P --doses 3 --format fhir > atezo-3w.json
$T plan atezolizumab --every 4w $P --doses 3 --format fhir > atezo-4w.json
$T plan atezolizumab --every 3w --start 2027-03-01 --doses 3 --format fhir > atezo-3w-allday.json
$T plan atezolizumab-iv-pediatric --weight-kg 40 $P --doses 3 --format fhir > atezo-ped.json
$T plan atezolizumab-sc $P --doses 3 --format fhir > atezo-sc.json
$T plan pembrolizumab --every 3w $P --doses 3 --format fhir > pembro-3w.json
$T plan pembrolizumab --every 6w $P --format fhir > pembro-6w-24m.json
$T plan pembrolizumab --every 6w $P --for 30m --format fhir > pembro-6w-30m.json
$T plan keytruda --pediatric --weight-kg 30 --start 2026-12-01 --doses 3 --format fhir > pembro-ped.json
$T plan 'Keytruda Qlex' --every 3w $P --doses 3 --format fhir > qlex-3w.json
$T plan 'Keytruda Qlex' --every 6w --start 2027-01-05 --doses 3 --format fhir > qlex-6w-allday.json
$T plan afami-cel $P --format fhir > afami.json
$T plan tecelra --start 2027-01-04 --infusion 2027-02-16 --monitor-days 10 --format fhir > afami-inf.json
$T plan afami-cel --start 2027-01-04 --clinic "$ROOT/examples/clinic.toml" --patient P-021 --format fhir > afami-clinic.json
$T plan pembrolizumab --every 3w --start 2026-12-01 --doses 6 --clinic "$ROOT/examples/clinic.toml" --format fhir > pembro-clinic.json
cp "$ROOT/examples/"{p017.toml,closures.txt,clinic.toml,patients.csv} .
$T plan 'Tecentriq Hybreza' --start 2026-12-07 --time 13:00 --tz America/New_York --doses 8 --avoid weekends \
  --holidays US-NY --closed closures.txt --format fhir > sc-closed.json
$T plan --plan-file p017.toml --format fhir > p017-records.json
cp p017.toml p017-stop.toml
$T record stop -f p017-stop.toml 2027-03-01 --reason progression > /dev/null
$T plan --plan-file p017-stop.toml --format fhir > p017-stopped.json
$T record new atezolizumab --every 3w --start 2026-12-01 --doses 4 -f allday.toml > /dev/null
$T record given -f allday.toml 1 2026-12-01 > /dev/null
$T plan --plan-file allday.toml --format fhir > allday-given.json
# Batches exit 1 when a row has a conflict (the winter break): the bundles are written all the same.
$T batch patients.csv --out-dir batch --fhir > /dev/null || true
$T batch patients.csv --out-dir batch-level --fhir --level --clinic clinic.toml > /dev/null || true
sed 's/^chairs = 6/book = "book.sqlite"\nchairs = 6/' clinic.toml > clinic-book.toml
for run in 1 2; do
  $T batch patients.csv --out-dir batch-book --fhir --level --clinic clinic-book.toml > /dev/null || true
  mkdir -p "run$run" && cp batch-book/*.fhir.json "run$run/"
done
rm -r batch-book
