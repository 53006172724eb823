// `prepaid` entry point (bundled as dist/prepaid.mjs). Exit codes: 0 done, 1 failure at
// run time (store, port, startup), 2 usage (unknown command/flag, bad value, empty password).
// The appliance and the store are imported lazily so that --help never loads natives.
import { readFileSync } from 'node:fs';
import { parseCommand, UsageError, usageLine, type Command } from './args.ts';
import { PasswordInputError, readSecret } from './password.ts';

declare const __PREPAID_VERSION__: string | undefined;

/** A second SIGTERM/SIGINT within this long of the first is the same request. */
const SIGNAL_ECHO_MS = 1000;

function version(): string {
  if (typeof __PREPAID_VERSION__ === 'string') return __PREPAID_VERSION__;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function fail(message: string): never {
  process.stderr.write(`prepaid: ${message.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(1);
}

function usage(e: UsageError): never {
  process.stderr.write(`${usageLine(e)}\n`);
  process.exit(2);
}

async function serve(cmd: Extract<Command, { kind: 'serve' }>): Promise<void> {
  const { log } = await import('../log.ts');
  // Handlers go in before startup, so a signal during startup still stops cleanly.
  let stopping: string | null = null;
  let firstAt = 0;
  let stopNow: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // Ctrl-C under `npm start` arrives twice at once (terminal + npm forwarding it):
      // only a signal sent later means "stop waiting".
      if (Date.now() - firstAt < SIGNAL_ECHO_MS) return;
      log('STOP_FORCED', { signal, first: stopping });
      process.exit(1);
    }
    stopping = signal;
    firstAt = Date.now();
    log('SIGNAL', { signal });
    stopNow?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const { startAppliance } = await import('../app.ts');
  let app: Awaited<ReturnType<typeof startAppliance>>;
  try {
    app = await startAppliance({ dataDir: cmd.dataDir, httpPort: cmd.httpPort, engine: cmd.engine });
  } catch (e) {
    fail(`cannot start: ${e instanceof Error ? e.message : String(e)}`);
  }
  await new Promise<void>((resolve) => {
    stopNow = resolve;
    if (stopping) resolve();
  });
  try {
    await app.stop();
  } catch (e) {
    log('STOP_FAILED', { error: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }
  process.exit(0);
}

async function passwd(cmd: Extract<Command, { kind: 'passwd' }>): Promise<void> {
  let pw: string;
  try {
    pw = await readSecret(process.stdin, process.stderr, 'New admin password: ');
  } catch (e) {
    if (e instanceof PasswordInputError) usage(new UsageError(e.message, 'passwd'));
    throw e;
  }
  if (pw.trim() === '') usage(new UsageError(pw === '' ? 'empty password refused' : 'a password of spaces only is refused', 'passwd'));
  const [{ hashPassword }, { Store }] = await Promise.all([import('../web/auth.ts'), import('../store/index.ts')]);
  const hash = await hashPassword(pw);
  let store: ReturnType<typeof Store.open>;
  try {
    store = Store.open(cmd.dataDir);
  } catch (e) {
    fail(`cannot open the store in ${cmd.dataDir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    store.setAdminPasswordHash(hash);
    await store.flushed();
  } finally {
    await store.close();
  }
  process.stdout.write(`admin password set (${cmd.dataDir})\n`);
  process.exit(0);
}

async function main(argv: string[]): Promise<void> {
  let cmd: Command;
  try {
    cmd = parseCommand(argv);
  } catch (e) {
    if (e instanceof UsageError) usage(e);
    throw e;
  }
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(cmd.text);
      return;
    case 'version':
      process.stdout.write(`prepaid ${version()}\n`);
      return;
    case 'serve':
      return serve(cmd);
    case 'passwd':
      return passwd(cmd);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
