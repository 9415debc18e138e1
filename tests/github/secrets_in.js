// SPDX-License-Identifier: Apache-2.0
// Prints, one per line, every secret stored in a job directory's caches: the Supervisor access,
// ID and refresh tokens (sessions.yaml) and each line of the client key (credentials.yaml, JSON), so a
// test can check that each one was announced with ::add-mask::.
//   node secrets_in.js JOB_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const found = new Set();
const sessions = fs.readFileSync(path.join(dir, 'sessions.yaml'), 'utf8');
for (const m of sessions.matchAll(/^\s*token: "?([^"\s]+)"?\s*$/gm)) found.add(m[1]);
// pinniped-ci writes the credential cache as JSON (valid YAML); parse it as such.
const credentials = JSON.parse(fs.readFileSync(path.join(dir, 'credentials.yaml'), 'utf8'));
for (const entry of credentials.credentials || []) {
  for (const field of ['clientKeyData', 'token']) {
    const value = (entry.credential || {})[field];
    if (!value) continue;
    // multi-line (PEM): each line is what a log could show
    for (const line of value.split('\n')) if (line.trim()) found.add(line.trim());
  }
}
if (found.size === 0) {
  console.error(`no secrets found in ${dir}`);
  process.exit(1);
}
process.stdout.write([...found].join('\n') + '\n');
