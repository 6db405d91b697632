// Goal: an isolated (cut-off) worker costs no acknowledged write: it is suspected, stand-ins take
// its writes with hints, and after heal the hints are delivered and the replicas agree.
// Method: hangScenario (hang-scenario.ts) with isolate; SEED= replays the choice of worker.
import t from 'tap';
import { hangScenario } from './hang-scenario.js';

t.test(
  'an isolated worker is suspected, its writes are hinted, handed off after heal, and nothing is lost',
  (t) => hangScenario(t, 'isolate'),
);
