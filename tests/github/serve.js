// SPDX-License-Identifier: Apache-2.0
// A loopback HTTP server standing in for a GitHub release: serves the files of DIR, logs each
// request path to DIR/../requests.log, and prints {"url": ...} once listening (ready line).
//   node serve.js DIR
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const dir = path.resolve(process.argv[2]);
const log = path.join(dir, '..', 'requests.log');
const server = http.createServer((req, res) => {
  fs.appendFileSync(log, `${req.method} ${req.url}\n`);
  const name = decodeURIComponent(req.url.split('?')[0]).replace(/^\//, '');
  const file = name.includes('/') || name.startsWith('.') ? null : path.join(dir, name);
  if (req.url.startsWith('/redirect/')) { // like GitHub's release download redirect
    res.writeHead(302, { Location: req.url.slice('/redirect'.length) });
    res.end();
    return;
  }
  fs.readFile(file || '/nonexistent', (err, data) => {
    if (err) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length });
    res.end(data);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n');
});
