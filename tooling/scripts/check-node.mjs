// Stops an install on a Node.js that is too old, with a message that names the
// version we need. Uses nothing but Node itself: it runs before dependencies exist.
const [major, minor] = process.versions.node.split('.').map(Number);
const need = { major: 20, minor: 19 };
if (major < need.major || (major === need.major && minor < need.minor)) {
  console.error(
    `wordloom needs Node.js >= ${need.major}.${need.minor}.0 (found ${process.versions.node}). ` +
      'Install a current Node 20 LTS or newer (https://nodejs.org) and run the command again.',
  );
  process.exit(1);
}
