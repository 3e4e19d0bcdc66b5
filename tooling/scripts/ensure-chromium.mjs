// The web demo's end-to-end tests drive Debian's Chromium through playwright-core
// (playwright's own browser download cannot work offline). This makes sure it is there:
// if /usr/bin/chromium (or $CHROMIUM_PATH) is missing and we are root on a Debian-like
// machine, it installs the `chromium` package with apt-get; otherwise it says how.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  console.log('wordloom: installing Debian chromium for the web demo tests (apt-get install chromium)…');
  const opts = { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  const update = spawnSync('apt-get', ['update', '-qq'], opts);
  const install = update.status === 0 && spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], opts);
  if (install && install.status === 0 && existsSync(path)) process.exit(0);
}
console.error(
  `wordloom: Chromium not found at ${path}. The web demo tests need it: install Debian's ` +
    '`chromium` package (apt-get install chromium) or set CHROMIUM_PATH to a Chromium/Chrome binary.',
);
process.exit(1);
