/**
 * Stands in for Node built-ins (`node:fs`, `node:zlib`, `node:worker_threads`, …) in the
 * browser bundle. The packages import them only for Node-only features (reading files,
 * worker_threads); the page never calls those, and if it did, the error says why.
 */
function nodeOnly(name: string): () => never {
  return () => {
    throw new Error(`${name} is a Node.js API and is not available in the browser`);
  };
}
export const readFileSync = nodeOnly('fs.readFileSync');
export const writeFileSync = nodeOnly('fs.writeFileSync');
export const createReadStream = nodeOnly('fs.createReadStream');
export const existsSync = nodeOnly('fs.existsSync');
export const readFile = nodeOnly('fs.readFile');
export const writeFile = nodeOnly('fs.writeFile');
export const createGunzip = nodeOnly('zlib.createGunzip');
export const gunzipSync = nodeOnly('zlib.gunzipSync');
export const gzipSync = nodeOnly('zlib.gzipSync');
export const createInterface = nodeOnly('readline.createInterface');
export class Worker {
  constructor() {
    throw new Error('worker_threads.Worker is a Node.js API; in the browser use workers: 1');
  }
}
export const cpus = () => [];
export default {};
