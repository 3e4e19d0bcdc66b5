// Stops an install on a Node.js that is too old, with a message that names the
// version we need. Uses nothing but Node itself: it runs before dependencies exist.
export const NEED = { major: 20, minor: 19 };

/** Returns null when `version` is new enough, else the message to print. */
export function checkNode(version) {
  const [major, minor] = version.split('.').map(Number);
  if (major > NEED.major || (major === NEED.major && minor >= NEED.minor)) return null;
  return (
    `wordloom needs Node.js >= ${NEED.major}.${NEED.minor}.0 (found ${version}). ` +
    'Install a current Node 20 LTS or newer (https://nodejs.org) and run the command again.'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problem = checkNode(process.versions.node);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
