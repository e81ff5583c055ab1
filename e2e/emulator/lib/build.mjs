// `npm run build`: builds the harness page into .harness-dist (skipped when an
// identical build is already there; the tests call the same function).
import { buildHarness } from './harness.mjs';

const dir = await buildHarness();
console.log(`harness built in ${dir}`);
