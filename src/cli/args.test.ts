import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DATA_DIR, parseCommand, UsageError, usageLine } from './args.ts';

const env = {} as NodeJS.ProcessEnv;

function usageError(argv: string[], e: NodeJS.ProcessEnv = env): UsageError {
  try {
    parseCommand(argv, e);
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(argv)} to be refused`);
}

test('serve takes --data, --http and --engine', () => {
  assert.deepEqual(parseCommand(['serve', '--data', '/d', '--http', '8080', '--engine', '10.0.0.2:15749'], env),
    { kind: 'serve', dataDir: '/d', httpPort: 8080, engine: '10.0.0.2:15749' });
  assert.deepEqual(parseCommand(['serve', '--data=/d', '--http=1', '--engine=demo'], env),
    { kind: 'serve', dataDir: '/d', httpPort: 1, engine: 'demo' });
  assert.deepEqual(parseCommand(['serve', '--engine', 'serial:/dev/ttyS1?baud=115200', '--http', '65535'], env),
    { kind: 'serve', dataDir: DEFAULT_DATA_DIR, httpPort: 65535, engine: 'serial:/dev/ttyS1?baud=115200' });
  assert.deepEqual(parseCommand(['serve', '--engine', '[::1]:15749'], env).kind, 'serve');
});

test('--data defaults to $PREPAID_DATA, then /var/lib/prepaid', () => {
  assert.deepEqual(parseCommand(['serve'], { PREPAID_DATA: '/srv/p' }), { kind: 'serve', dataDir: '/srv/p' });
  assert.deepEqual(parseCommand(['passwd'], { PREPAID_DATA: '' }), { kind: 'passwd', dataDir: '/var/lib/prepaid' });
  assert.deepEqual(parseCommand(['passwd', '--data', 'x'], { PREPAID_DATA: '/srv/p' }), { kind: 'passwd', dataDir: 'x' });
});

test('help and version', () => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const c = parseCommand(argv, env);
    assert.equal(c.kind, 'help');
    assert.match(c.kind === 'help' ? c.text : '', /serve[\s\S]*passwd/);
  }
  for (const argv of [['serve', '--help'], ['serve', '-h', '--http', '0'], ['help', 'serve']]) {
    const c = parseCommand(argv, env);
    assert.match(c.kind === 'help' ? c.text : '', /^Usage: prepaid serve/);
  }
  const p = parseCommand(['passwd', '--help'], env);
  assert.match(p.kind === 'help' ? p.text : '', /^Usage: prepaid passwd/);
  assert.deepEqual(parseCommand(['--version'], env), { kind: 'version' });
});

test('ports outside 1-65535 or not a number are refused', () => {
  for (const v of ['0', '65536', '-1', 'abc', '80.5', '', '0x50', '999999']) {
    const e = usageError(['serve', `--http=${v}`]);
    assert.equal(e.command, 'serve');
  }
  assert.match(usageError(['serve', '--engine', 'box:70000']).message, /65535/);
});

test('unknown commands, options and missing values are usage errors', () => {
  assert.match(usageError([]).message, /missing command/);
  assert.match(usageError(['start']).message, /unknown command "start"/);
  assert.match(usageError(['--frob']).message, /unknown option "--frob"/);
  assert.match(usageError(['serve', '--frob']).message, /unknown option "--frob"/);
  assert.match(usageError(['passwd', '--http', '80']).message, /unknown option "--http"/);
  assert.match(usageError(['serve', '--http']).message, /--http needs a value/);
  assert.match(usageError(['serve', '--http', '--data', 'x']).message, /--http needs a value/);
  assert.match(usageError(['serve', '--data']).message, /--data needs a value/);
  assert.match(usageError(['serve', '--data', '']).message, /--data/);
  assert.match(usageError(['serve', 'now']).message, /unexpected argument "now"/);
  assert.match(usageError(['serve', '--engine', 'nowhere']).message, /--engine/);
  assert.match(usageError(['serve', '--engine', 'serial:ttyS1']).message, /serial/);
  for (const baud of ['00', '0', '1', '12', '4000001', '09600']) {
    assert.match(usageError(['serve', '--engine', `serial:/dev/ttyS1?baud=${baud}`]).message, /baud 50 to 4000000/, baud);
  }
  assert.equal((parseCommand(['serve', '--engine', 'serial:/dev/ttyS1?baud=50']) as { engine: string }).engine, 'serial:/dev/ttyS1?baud=50');
  assert.match(usageError(['serve', '--http', '8079', '--http=8080']).message, /--http is given twice/);
  assert.match(usageError(['passwd', '--data', 'a', '--data', 'b']).message, /--data is given twice/);
  assert.match(usageError(['--version', 'x']).message, /unexpected argument/);
});

test('a usage error is one line naming the help to read', () => {
  const line = usageLine(usageError(['serve', '--http', '--data', 'x']));
  assert.equal(line.includes('\n'), false);
  assert.equal(line, 'prepaid: --http needs a value (see `prepaid serve --help`)');
  assert.equal(usageLine(usageError(['nope'])), 'prepaid: unknown command "nope" (commands: serve, passwd) (see `prepaid --help`)');
});
