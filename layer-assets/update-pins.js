#!/usr/bin/env node
'use strict';
// Regenerates layer-assets/pins/<slug>-<version>-<architecture>/{package.json,package-lock.json}
// for every pin in sdks.json: `npx projen pins` (needs the npm registry).
// The lockfiles carry an integrity hash for every package, the linux native one included.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { SDKS, layerPackageJson } = require('./recipe/build');
const { runNpm, tail } = require('./recipe/npm');

const pinsDir = path.join(__dirname, 'pins');
const only = process.argv.slice(2);
for (const [sdk, info] of Object.entries(SDKS)) {
  for (const [version, architectures] of Object.entries(info.pins ?? {})) {
    for (const architecture of Object.keys(architectures)) {
      const name = `${info.slug}-${version}-${architecture}`;
      if (only.length > 0 && !only.includes(name)) continue;
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pin-'));
      fs.writeFileSync(path.join(tmp, 'package.json'), `${JSON.stringify(layerPackageJson(sdk, version, architecture), null, 2)}\n`);
      // No platform flags here: the lockfile must list every platform's optional package, or
      // `npm ci` finds it out of sync. `--force` lets a host of another cpu resolve the explicit
      // native dependency; installs then pick the target's packages with the recipe's flags.
      const r = runNpm(['install', '--package-lock-only', '--lockfile-version=3', '--ignore-scripts', '--force', '--no-audit', '--no-fund'], { cwd: tmp });
      if (r.status !== 0) {
        process.stderr.write(`${name}: npm failed\n${tail(r.output)}\n`);
        process.exit(1);
      }
      const dest = path.join(pinsDir, name);
      fs.mkdirSync(dest, { recursive: true });
      for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(tmp, f), path.join(dest, f));
      fs.rmSync(tmp, { recursive: true, force: true });
      process.stderr.write(`${name}: pinned\n`);
    }
  }
}
