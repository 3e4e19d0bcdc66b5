/** A replica of the test page: a Web Worker running the same setup function as the page. */
import { serveReplica } from '../../src/index.js';
import { setup } from './setup.js';

serveReplica(setup as never);
