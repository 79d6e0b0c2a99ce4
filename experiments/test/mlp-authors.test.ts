// mlp-authors needs the authors' checkout; without one it stops before any run, saying so.
import t from 'tap';
import { run } from '../src/mlp-authors.js';

t.test('mlp-authors: a missing or wrong DLRT_AUTHORS_CODE is an error naming it', async (t) => {
  const saved = process.env.DLRT_AUTHORS_CODE;
  try {
    delete process.env.DLRT_AUTHORS_CODE;
    await t.rejects(run([0]),
      /^mlp-authors: set DLRT_AUTHORS_CODE to a checkout of ScSteffen\/.*; got ''$/);
    process.env.DLRT_AUTHORS_CODE = '/nonexistent/authors-code';
    await t.rejects(run([0]), /got '\/nonexistent\/authors-code'$/);
  } finally {
    if (saved === undefined) delete process.env.DLRT_AUTHORS_CODE;
    else process.env.DLRT_AUTHORS_CODE = saved;
  }
});
