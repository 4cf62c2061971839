/**
 * `socketkit resolve [NAME|ADDRESS]`: what the seeds' look-up functions return (S11:
 * `gethostbyname(gethostname())`; S14: `getfqdn`, `gethostbyname_ex`, `gethostbyaddr`,
 * `getservbyname`), in a readable layout or as JSON. Without an argument it describes
 * this host. Documented in docs/resolve.md.
 *
 * Exit codes: 0 found, 1 not found (unknown host, address without a name, unknown
 * service), 2 a usage error.
 * @module
 */
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { HostNotFoundError } from '../../errors.js';
import {
  type AddrInfo,
  getaddrinfo,
  getfqdn,
  gethostbyaddr,
  gethostbynameEx,
  gethostname,
  getServiceEntry,
  getservbyport,
  type HostEntry,
  type LookupOptions,
} from '../../resolve/index.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import type { CommandFactory } from './index.js';

interface ResolveFlags {
  all?: boolean;
  service?: string;
  protocol?: 'tcp' | 'udp';
  json?: boolean;
  short?: boolean;
  timeout: string;
}

/** One service look-up result: `http` is `80/tcp`. */
interface ServiceAnswer {
  name: string;
  port: number;
  protocol: string;
  aliases: string[];
}

/** Everything `resolve` found, as printed with --json. */
interface ResolveReport {
  query: string;
  /** `local`: no argument, this host; `name`: a forward look-up; `address`: a reverse one. */
  kind: 'local' | 'name' | 'address' | 'service';
  hostname?: string;
  aliases?: string[];
  addresses?: string[];
  fqdn?: string;
  addrinfo?: AddrInfo[];
  services?: ServiceAnswer[];
}

function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new CliError(
      `--timeout must be a positive number of seconds, got ${JSON.stringify(text)}`,
      ExitCode.usage,
    );
  }
  return seconds;
}

/** `--service 80` or `--service http`, for TCP and UDP (or the one `--protocol` names). */
async function lookUpService(
  service: string,
  protocols: readonly ('tcp' | 'udp')[],
): Promise<ServiceAnswer[]> {
  const answers: ServiceAnswer[] = [];
  let lastError: unknown;
  const numeric = /^\d+$/.test(service);
  if (numeric) {
    const port = Number(service);
    if (port > 65535)
      throw new CliError(`--service port must be 0..65535, got ${service}`, ExitCode.usage);
    for (const protocol of protocols) {
      try {
        const name = await getservbyport(port, protocol);
        const entry = await getServiceEntry(name, protocol);
        answers.push({ name, port, protocol, aliases: [...entry.aliases] });
      } catch (err) {
        lastError = err;
      }
    }
  } else {
    for (const protocol of protocols) {
      try {
        const entry = await getServiceEntry(service, protocol);
        answers.push({ name: entry.name, port: entry.port, protocol, aliases: [...entry.aliases] });
      } catch (err) {
        lastError = err;
      }
    }
  }
  if (answers.length > 0) return answers;
  if (protocols.length === 1) throw lastError;
  // Neither TCP nor UDP: ask for any protocol (sctp, ddp, …), whose error names no protocol.
  const entry = numeric
    ? await getServiceEntry(await getservbyport(Number(service)), null)
    : await getServiceEntry(service, null);
  return [
    {
      name: entry.name,
      port: numeric ? Number(service) : entry.port,
      protocol: entry.protocol,
      aliases: [...entry.aliases],
    },
  ];
}

/** A forward look-up: gethostbyname_ex, falling back to getaddrinfo for IPv6-only names. */
async function lookUpName(name: string, options: LookupOptions): Promise<HostEntry> {
  try {
    return await gethostbynameEx(name, options);
  } catch (err) {
    if (!(err instanceof HostNotFoundError) || err.errno === 'EAI_AGAIN') throw err;
    // No IPv4 address: a name with only IPv6 ones (ip6-localhost) still resolves.
    const found = await getaddrinfo(name, null, { ...options, type: 'stream' });
    return { hostname: name, aliases: [], addresses: found.map((e) => e.address.host) };
  }
}

async function buildReport(
  target: string | undefined,
  flags: ResolveFlags,
  options: LookupOptions,
): Promise<ResolveReport> {
  const protocols = flags.protocol === undefined ? (['tcp', 'udp'] as const) : [flags.protocol];
  const services =
    flags.service === undefined ? undefined : await lookUpService(flags.service, protocols);
  if (target === undefined && services !== undefined) {
    return { query: flags.service ?? '', kind: 'service', services };
  }
  const query = target ?? gethostname();
  const kind = target === undefined ? 'local' : isIP(target) !== 0 ? 'address' : 'name';
  const entry =
    kind === 'address' ? await gethostbyaddr(query, options) : await lookUpName(query, options);
  const report: ResolveReport = { query, kind, ...entry, fqdn: await getfqdn(query, options) };
  if (flags.all) {
    const port = services?.[0]?.port ?? null;
    report.addrinfo = await getaddrinfo(query, port, {
      ...options,
      ...(flags.protocol === undefined
        ? {}
        : { type: flags.protocol === 'tcp' ? 'stream' : 'dgram' }),
    });
  }
  if (services !== undefined) report.services = services;
  return report;
}

function list(items: readonly string[] | undefined): string {
  return items === undefined || items.length === 0 ? '-' : items.join(' ');
}

/** The readable layout: one `label  value` line per fact, then the getaddrinfo table. */
function renderReport(report: ResolveReport): string {
  const lines: [string, string][] = [];
  if (report.kind === 'local') lines.push(['this host', report.query]);
  if (report.kind === 'address') lines.push(['address', report.query]);
  if (report.kind === 'name') lines.push(['name', report.query]);
  if (report.hostname !== undefined) {
    lines.push(['hostname', report.hostname]);
    lines.push(['aliases', list(report.aliases)]);
    lines.push(['addresses', list(report.addresses)]);
    lines.push(['fqdn', report.fqdn ?? '-']);
  }
  for (const s of report.services ?? []) {
    lines.push([
      'service',
      `${s.name} ${s.port}/${s.protocol}${s.aliases.length > 0 ? ` (${s.aliases.join(' ')})` : ''}`,
    ]);
  }
  const width = Math.max(...lines.map(([label]) => label.length));
  let out = lines.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
  if (report.addrinfo !== undefined) {
    out += 'getaddrinfo:\n';
    for (const e of report.addrinfo) {
      const host = e.address.host.includes(':') ? `[${e.address.host}]` : e.address.host;
      out += `  ${e.family.padEnd(4)}  ${e.type.padEnd(6)}  ${e.protocol}  ${host}:${e.address.port}\n`;
    }
  }
  return out;
}

/** `--short`: the one value a script wants (the first address, the host name, the port). */
function renderShort(report: ResolveReport): string {
  if (report.kind === 'service') return `${report.services?.[0]?.port ?? ''}\n`;
  if (report.kind === 'address') return `${report.hostname ?? ''}\n`;
  return `${report.addresses?.[0] ?? ''}\n`;
}

/** Runs one `resolve` invocation and writes its output. */
async function runResolve(
  io: CliIO,
  target: string | undefined,
  flags: ResolveFlags,
): Promise<number> {
  const options: LookupOptions = { timeout: parseTimeout(flags.timeout), signal: io.signal };
  if (target !== undefined && target.trim() === '') {
    throw new CliError(
      'NAME|ADDRESS must not be empty (omit it to describe this host)',
      ExitCode.usage,
    );
  }
  const report = await buildReport(target?.trim(), flags, options);
  if (flags.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (flags.short) io.stdout.write(renderShort(report));
  else io.stdout.write(renderReport(report));
  return ExitCode.ok;
}

/** Builds the `resolve` command. */
export const resolveCommand: CommandFactory = (io, setExitCode) =>
  new Command('resolve')
    .description(
      "look up a host name, an address or a service, like Python's gethostbyname/gethostbyaddr/getfqdn/getservbyname (no argument: this host)",
    )
    .argument(
      '[target]',
      'a host NAME or an IP ADDRESS (default: this host, i.e. gethostbyname(gethostname()))',
    )
    .option('-a, --all', 'also list every address of every family and socket type (getaddrinfo)')
    .option(
      '-s, --service <name|port>',
      'also look up a service: its port (ssh → 22) or its name (80 → http)',
    )
    .addOption(
      new Option('-p, --protocol <proto>', 'only this protocol for --service and --all').choices([
        'tcp',
        'udp',
      ]),
    )
    .option('-j, --json', 'print the results as JSON')
    .option(
      '--short',
      'print only the first address (a name), the host name (an address) or the port (a service)',
    )
    .option('-w, --timeout <seconds>', 'give up on a look-up after this long', '10')
    .addHelpText(
      'after',
      `
Examples:
  socketkit resolve                      this host's name, IPv4 address and FQDN (seed S11)
  socketkit resolve localhost --all      every address to connect to, per family and type
  socketkit resolve 127.0.0.1            reverse look-up (gethostbyaddr)
  socketkit resolve --service telnet     23/tcp (getservbyname)
  socketkit resolve localhost --short    127.0.0.1

Exit status: 0 found, 1 not found, 2 usage error.`,
    )
    .action(async (target: string | undefined, flags: ResolveFlags) => {
      setExitCode(await runResolve(io, target, flags));
    });
