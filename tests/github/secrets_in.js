// SPDX-License-Identifier: Apache-2.0
// Prints, one per line, every secret stored in a job directory's caches: the Supervisor access,
// ID and refresh tokens (sessions.yaml) and each line of the client key (credentials.yaml), so a
// test can check that each one was announced with ::add-mask::.
//   node secrets_in.js JOB_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const found = new Set();
const sessions = fs.readFileSync(path.join(dir, 'sessions.yaml'), 'utf8');
for (const m of sessions.matchAll(/^\s*token: "?([^"\s]+)"?\s*$/gm)) found.add(m[1]);
const credentials = fs.readFileSync(path.join(dir, 'credentials.yaml'), 'utf8');
for (const m of credentials.matchAll(/^\s*(clientKeyData|token): ("(?:[^"\\]|\\.)*")\s*$/gm)) {
  const value = JSON.parse(m[2]); // multi-line (PEM): each line is what a log could show
  for (const line of value.split('\n')) if (line.trim()) found.add(line.trim());
}
if (found.size === 0) {
  console.error(`no secrets found in ${dir}`);
  process.exit(1);
}
process.stdout.write([...found].join('\n') + '\n');
