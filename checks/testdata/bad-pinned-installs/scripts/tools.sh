#!/usr/bin/env bash
# Planted: sdists allowed, and an npm package from the registry as it is.
set -euo pipefail
pip install --require-hashes -r tools.txt
npm install --prefix .tools axe-core@4.14.1
