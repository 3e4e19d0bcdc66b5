/** A replica of the e2e page: a Web Worker running the same setup function as the page. */
import { serveReplica } from '@wordloom/train';
import { setup } from './setup';

serveReplica(setup as never);
