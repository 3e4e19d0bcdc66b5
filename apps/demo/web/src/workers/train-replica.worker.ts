/** A data-parallel replica of the "Train here" page: a Web Worker running the page's setup function. */
import { serveReplica } from '@wordloom/train';
import { setup } from '../train-setup.js';

serveReplica(setup as never);
