// SPDX-License-Identifier: Apache-2.0
// Runs the action's main or post script with the real github-action-ts-run-api, the way the runner
// does (INPUT_* variables, real GITHUB_OUTPUT/ENV/STATE files, STATE_* for post), and stores what
// a workflow would see.
//   node run_action.js ACTION_YML main|post OPTIONS_JSON OUT_PREFIX
// OPTIONS_JSON: {"inputs":{...}, "env":{...}, "state":{...}, "path":"...", "tempDir":"...",
//                "workspaceDir":"...", "cwd":"..."}
// Writes OUT_PREFIX.json (exit code, parsed commands, warnings), OUT_PREFIX.raw (stdout as
// printed), OUT_PREFIX.out (stdout without the ::add-mask:: lines, i.e. what a log could show),
// OUT_PREFIX.err (stderr) and OUT_PREFIX.commands.out (every output/env/state value).
'use strict';
const fs = require('fs');
const { RunOptions, RunTarget } = require('github-action-ts-run-api');

(async () => {
  const [actionYml, step, optionsFile, prefix] = process.argv.slice(2);
  const o = JSON.parse(fs.readFileSync(optionsFile, 'utf8'));
  if (o.path !== undefined) {
    process.env.PATH = o.path; // ts-run-api hands the child its parent's PATH
  }
  let options = RunOptions.create()
    .setInputs(o.inputs || {})
    .setEnv(o.env || {})
    .setState(o.state || {})
    .setTimeoutMs(120000)
    .setOutputOptions({ printStdout: false, printStderr: false, printRunnerWarnings: false });
  if (o.tempDir) options = options.setTempDir(o.tempDir);
  if (o.workspaceDir) options = options.setWorkspaceDir(o.workspaceDir);
  if (o.cwd) options = options.setWorkingDir(o.cwd);
  const target = step === 'post' ? RunTarget.postJs(actionYml) : RunTarget.mainJs(actionYml);
  const r = await target.run(options);
  const stdout = r.stdout || '';
  fs.writeFileSync(`${prefix}.raw`, stdout);
  fs.writeFileSync(`${prefix}.out`, stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'));
  fs.writeFileSync(`${prefix}.err`, r.stderr || '');
  const c = r.commands;
  fs.writeFileSync(`${prefix}.commands.out`, JSON.stringify({ outputs: c.outputs, exportedVars: c.exportedVars,
    savedState: c.savedState, addedPaths: c.addedPaths, errors: c.errors, warnings: c.warnings, notices: c.notices }, null, 1));
  fs.writeFileSync(`${prefix}.json`, JSON.stringify({
    exitCode: r.exitCode === undefined ? null : r.exitCode, isSuccess: r.isSuccess, isTimedOut: r.isTimedOut,
    error: r.error ? String(r.error) : null, commands: c,
    runnerWarnings: r.runnerWarnings.map((w) => String(w.message || w)),
  }, null, 1));
  r.cleanUpFakedDirs();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
