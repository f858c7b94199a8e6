// A setup file of every vitest runner (vitest-config.ts): the scratch
// directories a test file made outside its tests (scratch.ts) go when the
// file's tests end. Registered first, this afterAll runs after the file's own
// (vitest runs after-hooks last registered first), so a sandbox a file closes
// in its afterAll is gone before its directories are.
import { afterAll } from 'vitest';

import { removeScratchDirs } from './scratch';

afterAll(removeScratchDirs);
