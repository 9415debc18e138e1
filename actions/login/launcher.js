// SPDX-License-Identifier: Apache-2.0
// Dependency-free launcher of the pinniped-ci login action. It only locates the binary and execs
// it with the step's environment; inputs, outputs, masking and errors are handled in C++
// (integrations/github/). Where the binary comes from, first match wins:
//   1. the `binary_path` input;
//   2. (post step) the binary the main step used, saved in the step state;
//   3. `pinniped-ci` on PATH;
//   4. (main step) the release asset for this runner, downloaded into RUNNER_TEMP and verified
//      against the SHA-256 pinned in release.json (and against the release's SHA256SUMS).
//      PINNIPED_CI_RELEASE_BASE_URL overrides the download base URL (tests, mirrors); the
//      pinned checksum still applies.
// Launcher failures exit with pinniped-ci's codes: 2 configuration, 4 download, 6 checksum.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const EXIT_USAGE = 2;
const EXIT_NETWORK = 4;
const EXIT_VERIFICATION = 6;
const EXIT_INTERNAL = 70;

class LaunchError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

function escapeData(text) {
  return String(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function fail(message) {
  process.stdout.write(`::error title=Pinniped login failed::${escapeData(message)}\n`);
}

function input(name) {
  return (process.env[`INPUT_${name.toUpperCase()}`] || '').trim();
}

function isExecutableFile(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutableFile(path.join(dir, name))) {
      return path.resolve(dir, name);
    }
  }
  return null;
}

// Appends NAME<<DELIMITER records like @actions/core (random delimiter, checked against the value).
function saveState(name, value) {
  const file = process.env.GITHUB_STATE;
  if (!file) {
    return;
  }
  const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
  if (value.includes(delimiter)) {
    throw new LaunchError('could not save the step state', EXIT_INTERNAL);
  }
  fs.appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

function releaseAsset() {
  if (process.platform !== 'linux') {
    throw new LaunchError(`pinniped-ci release binaries exist for Linux runners only (this runner: ${process.platform}); ` +
      'set the input binary_path or put pinniped-ci on PATH', EXIT_USAGE);
  }
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  if (!arch) {
    throw new LaunchError(`no pinniped-ci release binary for ${process.arch}; set the input binary_path`, EXIT_USAGE);
  }
  return `pinniped-ci-linux-${arch}`;
}

function get(url, redirects = 5) {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : url.startsWith('http:') ? http : null;
    if (!client) {
      reject(new LaunchError(`unsupported download URL ${url}`, EXIT_USAGE));
      return;
    }
    const request = client.get(url, { timeout: 60000, headers: { 'User-Agent': 'pinniped-ci-action' } }, (response) => {
      const status = response.statusCode || 0;
      if ([301, 302, 303, 307, 308].includes(status) && response.headers.location && redirects > 0) {
        response.resume();
        resolve(get(new URL(response.headers.location, url).toString(), redirects - 1));
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(new LaunchError(`downloading ${url.split('?')[0]} failed: HTTP ${status}`, EXIT_NETWORK));
        return;
      }
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks)));
      response.on('error', (e) => reject(new LaunchError(`downloading ${url.split('?')[0]} failed: ${e.message}`, EXIT_NETWORK)));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (e) => reject(new LaunchError(`downloading ${url.split('?')[0]} failed: ${e.message}`, EXIT_NETWORK)));
  });
}

async function download() {
  const release = JSON.parse(fs.readFileSync(path.join(__dirname, 'release.json'), 'utf8'));
  const asset = releaseAsset();
  const pinned = ((release.sha256 || {})[asset] || '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(pinned)) {
    throw new LaunchError(`this version of the action pins no SHA-256 for ${asset}; set the input binary_path or put ` +
      'pinniped-ci on PATH', EXIT_USAGE);
  }
  const base = (process.env.PINNIPED_CI_RELEASE_BASE_URL || release.base_url).replace(/\/+$/, '');
  const sums = (await get(`${base}/SHA256SUMS`)).toString('utf8');
  const listed = sums.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f.length === 2 && f[1].replace(/^\*/, '') === asset);
  if (!listed || listed[0].toLowerCase() !== pinned) {
    throw new LaunchError(`checksum mismatch: the release's SHA256SUMS ${listed ? 'lists a different SHA-256' : 'does not list'} ` +
      `for ${asset} than the one pinned in the action; refusing to run it`, EXIT_VERIFICATION);
  }
  const body = await get(`${base}/${asset}`);
  const actual = crypto.createHash('sha256').update(body).digest('hex');
  if (actual !== pinned) {
    throw new LaunchError(`checksum mismatch for the downloaded ${asset}: SHA-256 ${actual}, pinned ${pinned}; ` +
      'refusing to run it', EXIT_VERIFICATION);
  }
  const temp = process.env.RUNNER_TEMP || os.tmpdir();
  const dir = fs.mkdtempSync(path.join(temp, 'pinniped-ci-bin-'));
  const file = path.join(dir, 'pinniped-ci');
  fs.writeFileSync(file, body, { mode: 0o700 });
  process.stdout.write(`pinniped-ci: downloaded ${asset} ${release.version} (SHA-256 ${actual} verified)\n`);
  return file;
}

// The post step removes a binary the main step downloaded (never one from PATH or binary_path).
function removeDownload(binary) {
  const temp = process.env.RUNNER_TEMP;
  if (!binary || !temp) {
    return;
  }
  const dir = path.dirname(binary);
  if (path.dirname(dir) === path.resolve(temp) && path.basename(dir).startsWith('pinniped-ci-bin-')) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function locate(step) {
  const given = input('binary_path');
  if (given) {
    const file = path.resolve(given);
    if (!isExecutableFile(file)) {
      throw new LaunchError(`input binary_path: ${file} is not an executable file`, EXIT_USAGE);
    }
    return file;
  }
  if (step === 'post') {
    const saved = process.env.STATE_binary;
    if (saved && isExecutableFile(saved)) {
      return saved;
    }
  }
  const found = onPath('pinniped-ci');
  if (found) {
    return found;
  }
  return step === 'main' ? download() : null;
}

function run(binary, args) {
  const result = spawnSync(binary, args, { stdio: 'inherit', env: process.env });
  if (result.error) {
    throw new LaunchError(`could not run ${binary}: ${result.error.message}`, EXIT_INTERNAL);
  }
  if (result.signal) {
    return 128 + (os.constants.signals[result.signal] || 0);
  }
  return result.status === null ? EXIT_INTERNAL : result.status;
}

async function launch(step) {
  try {
    const binary = await locate(step);
    if (step === 'post') {
      if (!binary) {
        process.stdout.write('pinniped-ci: binary not found; nothing to clean up\n');
        process.exit(0);
      }
      run(binary, ['github', '--post']);
      removeDownload(process.env.STATE_binary);
      process.exit(0); // cleanup never fails the job
    }
    saveState('binary', binary);
    process.exit(run(binary, ['github']));
  } catch (e) {
    if (step === 'post') {
      process.stdout.write(`::warning title=Pinniped cleanup::${escapeData(e.message)}\n`);
      process.exit(0);
    }
    fail(e.message);
    process.exit(e instanceof LaunchError ? e.code : EXIT_INTERNAL);
  }
}

module.exports = { launch };
