// The bench command line and the record names it leads to. Oracle: the names the README and
// docs link (bench/results/<suite>[-relaxed][-tag].md).
import t from 'tap';
import { parseBenchArgs } from '../src/args.js';
import { recordName } from '../src/report.js';

const KNOWN = ['matmul', 'epoch', 'ceiling'];

t.test('parseBenchArgs: suites in order, every suite by default, and the tag', async (t) => {
  t.same(parseBenchArgs([], KNOWN), { suites: KNOWN, tag: '' });
  t.same(parseBenchArgs(['epoch', 'matmul'], KNOWN), { suites: ['epoch', 'matmul'], tag: '' });
  t.same(parseBenchArgs(['--tag', 'xeon', 'matmul'], KNOWN), { suites: ['matmul'], tag: 'xeon' });
  t.same(parseBenchArgs(['ceiling', '--tag=xeon-2'], KNOWN),
    { suites: ['ceiling'], tag: 'xeon-2' });
  t.same(parseBenchArgs(['--tag', 'amd'], KNOWN), { suites: KNOWN, tag: 'amd' });
});

t.test('parseBenchArgs: bad arguments are errors naming them', async (t) => {
  t.throws(() => parseBenchArgs(['matmull'], KNOWN),
    /bench: unknown suite or option 'matmull'; suites: matmul, epoch, ceiling/);
  t.throws(() => parseBenchArgs(['--tag'], KNOWN), /--tag takes a name .*got nothing/);
  t.throws(() => parseBenchArgs(['--tag='], KNOWN), /--tag takes a name .*got ''/);
  t.throws(() => parseBenchArgs(['--tag', '../x'], KNOWN), /got '\.\.\/x'/);
  t.throws(() => parseBenchArgs(['--tag', 'Xeon'], KNOWN), /got 'Xeon'/);
  t.throws(() => parseBenchArgs(['--tag', 'a', '--tag', 'b'], KNOWN),
    /bench: --tag given twice \('a', 'b'\)/);
  t.throws(() => parseBenchArgs(['--tags', 'a'], KNOWN), /unknown suite or option '--tags'/);
});

t.test('recordName: the suite, -relaxed for that build, then the tag', async (t) => {
  t.equal(recordName('matmul', 'simd', ''), 'matmul');
  t.equal(recordName('matmul', 'relaxed', ''), 'matmul-relaxed');
  t.equal(recordName('epoch', 'simd', 'xeon'), 'epoch-xeon');
  t.equal(recordName('ceiling', 'relaxed', 'xeon'), 'ceiling-relaxed-xeon');
});
