// Command-line parsing: pure (argv + env in, a Command out), so every usage rule is
// tested without starting anything. Usage errors are UsageError → one line, exit 2.
import { parseArgs } from 'node:util';

export const DEFAULT_DATA_DIR = '/var/lib/prepaid';

export type Command =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'serve'; dataDir: string; httpPort?: number; engine?: string }
  | { kind: 'passwd'; dataDir: string };

export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

const USAGE = `Usage: prepaid <command> [options]

Commands:
  serve     run the appliance (call services, admin web, engine link)
  passwd    set the admin password, read as one line from standard input

Options:
  -h, --help      show this help (or \`prepaid <command> --help\`)
  -v, --version   print the version

Environment:
  PREPAID_DATA    default for --data (else ${DEFAULT_DATA_DIR})
`;

const SERVE_USAGE = `Usage: prepaid serve [--data <dir>] [--http <port>] [--engine <addr>]

Runs the appliance until SIGTERM or SIGINT, then releases and settles every open call,
closes the store and exits 0. Logs go to stdout, one line per event.

Options:
  --data <dir>      store folder (default: $PREPAID_DATA, else ${DEFAULT_DATA_DIR})
  --http <port>     admin web port, 1-65535 (default: the Web port parameter, 8078)
  --engine <addr>   engine link: host:port, serial:/dev/ttyX?baud=N, or demo
                    (a built-in engine emulator placing demonstration calls)
  -h, --help        show this help
Flags apply to this run only; the stored parameters are not changed.
`;

const PASSWD_USAGE = `Usage: prepaid passwd [--data <dir>] < password-file

Sets the admin password: the first line of standard input (prompted for, without
echo, on a terminal). An empty password, or one of spaces only, is refused.

Options:
  --data <dir>   store folder (default: $PREPAID_DATA, else ${DEFAULT_DATA_DIR})
  -h, --help     show this help
`;

export const HELP: Record<'main' | 'serve' | 'passwd', string> = { main: USAGE, serve: SERVE_USAGE, passwd: PASSWD_USAGE };

/** One line, whatever parseArgs wrote. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function parse(command: string, args: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; strict: true; allowPositionals: false; tokens: true }>>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    const msg = oneLine(e instanceof Error ? e.message : String(e));
    // parseArgs' wording, shortened to the one line a script logs
    const missing = /^Option '(-\w, )?(--[\w-]+)[^']*' argument (missing|is ambiguous)/.exec(msg);
    if (missing) throw new UsageError(`${missing[2]} needs a value`, command);
    const unknown = /^Unknown option '([^']*)'/.exec(msg);
    if (unknown) throw new UsageError(`unknown option ${JSON.stringify(unknown[1])}`, command);
    const extra = /^Unexpected argument '([^']*)'/.exec(msg);
    if (extra) throw new UsageError(`unexpected argument ${JSON.stringify(extra[1])}`, command);
    throw new UsageError(msg, command);
  }
  // the last of two values would win silently: a typo in a service file should not
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given twice`, command);
    seen.add(t.name);
  }
  return parsed;
}

export function parsePort(v: string, flag: string, command: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
    throw new UsageError(`${flag} must be a port number from 1 to 65535, not ${JSON.stringify(v)}`, command);
  }
  return Number(v);
}

/** `demo`, `host:port` (IPv6 in brackets) or `serial:/dev/x[?baud=N]`; the engine link parses it fully. */
export function checkEngine(v: string, command: string): string {
  if (v === 'demo') return v;
  if (v.startsWith('serial:')) {
    const m = /^serial:\/[^\s?]+(?:\?baud=([1-9]\d{1,6}))?$/.exec(v);
    if (m && (m[1] === undefined || (Number(m[1]) >= 50 && Number(m[1]) <= 4_000_000))) return v;
    throw new UsageError(`--engine serial target must look like serial:/dev/ttyS1?baud=115200 (baud 50 to 4000000), not ${JSON.stringify(v)}`, command);
  }
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  if (!m) throw new UsageError(`--engine must be host:port, serial:/dev/ttyX?baud=N or demo, not ${JSON.stringify(v)}`, command);
  parsePort(m[2]!, '--engine port', command);
  return v;
}

function dataDir(v: string | undefined, env: NodeJS.ProcessEnv, command: string): string {
  if (v !== undefined) {
    if (v === '') throw new UsageError('--data needs a folder', command);
    return v;
  }
  return env.PREPAID_DATA ? env.PREPAID_DATA : DEFAULT_DATA_DIR;
}

/** argv without `node` and the script. Throws UsageError. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing command');
  if (first === '-h' || first === '--help' || first === 'help') {
    if (first === 'help' && rest.length === 1 && (rest[0] === 'serve' || rest[0] === 'passwd')) return { kind: 'help', text: HELP[rest[0]] };
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    return { kind: 'help', text: USAGE };
  }
  if (first === '-v' || first === '--version') {
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    return { kind: 'version' };
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(first)} (commands: serve, passwd)`);
  switch (first) {
    case 'serve': {
      const { values: v } = parse('serve', rest, {
        data: { type: 'string' }, http: { type: 'string' }, engine: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      });
      if (v.help) return { kind: 'help', text: SERVE_USAGE };
      const cmd: Command = { kind: 'serve', dataDir: dataDir(v.data as string | undefined, env, 'serve') };
      if (v.http !== undefined) cmd.httpPort = parsePort(v.http as string, '--http', 'serve');
      if (v.engine !== undefined) cmd.engine = checkEngine(v.engine as string, 'serve');
      return cmd;
    }
    case 'passwd': {
      const { values: v } = parse('passwd', rest, { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
      if (v.help) return { kind: 'help', text: PASSWD_USAGE };
      return { kind: 'passwd', dataDir: dataDir(v.data as string | undefined, env, 'passwd') };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(first)} (commands: serve, passwd)`);
  }
}

/** The one stderr line for a usage error. */
export function usageLine(e: UsageError): string {
  return `prepaid: ${e.message} (see \`prepaid ${e.command ? `${e.command} ` : ''}--help\`)`;
}
