// The suite's outputs: bench/results/<date>.json, docs/bench.svg, and the generated
// block of docs/performance.md (between the bench:begin and bench:end markers).
import { mkdir, readFile, writeFile } from 'node:fs/promises';

/**
 * Does a ratio meet its target? (lower-is-better metrics invert the comparison.) Not
 * when a run of the subject failed or was not verified: a fast wrong answer is no win.
 */
export function meets(scenario, baseline, ratio) {
  const target = scenario.targets[baseline];
  if (target === undefined || ratio === null || ratio === undefined) return null;
  if ((scenario.failed?.[scenario.subject] ?? 0) > 0) return false;
  return scenario.better === 'lower' ? ratio <= target : ratio >= target;
}

/** Does the subject's own figure stay strictly below `absolute.max`? null: no target/figure. */
export function absoluteMet(scenario) {
  const v = scenario.medians[scenario.subject];
  if (!scenario.absolute || v === null || v === undefined) return null;
  if ((scenario.failed?.[scenario.subject] ?? 0) > 0) return false;
  return v < scenario.absolute.max;
}

/** One line saying where generator and servers ran, or why they were not pinned. */
export function pinningLine(pinning) {
  if (!pinning) return 'not recorded';
  return pinning.applied ? pinning.reason : `none — ${pinning.reason}`;
}

const saySeconds = (s) => (s > 0 ? `${s} s` : 'none');

/** Scenarios whose warm-up differs from the suite's `seconds`: "conns, conns-15k: none". */
function warmupExceptions(seconds, scenarios) {
  const others = new Map();
  for (const s of scenarios) {
    const w = s.warmup ?? seconds;
    if (w !== seconds) others.set(w, [...(others.get(w) ?? []), s.id]);
  }
  return [...others].map(([w, ids]) => `${ids.join(', ')}: ${saySeconds(w)}`).join('; ');
}

/**
 * What warm-up the runs had: `seconds` for every scenario but those with a `warmup` of
 * their own (listed). E.g. "warm-up 1 s before each run, not measured (conns: none)".
 */
export function warmupLine(seconds, scenarios = []) {
  const except = warmupExceptions(seconds, scenarios);
  const head = seconds > 0 ? `warm-up ${seconds} s before each run, not measured` : 'no warm-up';
  return except ? `${head} (${except})` : head;
}

/** The generated block's sentence on the warm-up (none for reports made before it). */
function warmupSentence(report) {
  const seconds = report.warmupPerRun;
  if (seconds === undefined) return [];
  if (!report.scenarios.some((s) => (s.warmup ?? seconds) > 0)) {
    return ['No warm-up: every operation of a run is measured.', ''];
  }
  const except = warmupExceptions(seconds, report.scenarios);
  return [
    `Warm-up before each run (\`--warmup\`): ${saySeconds(seconds)}${except ? ` (${except})` : ''}. The same load runs first and every reply is verified, but only the operations issued after it count in throughput, latency and CPU per operation (generator and server).`,
    '',
  ];
}

/** The table's verdict cell. */
function verdictCell(ok, scenario) {
  if (ok === null) return '–';
  if (ok) return 'yes';
  const failed = scenario?.failed?.[scenario.subject] ?? 0;
  return failed > 0 ? `**no** (${failed} run(s) failed or not verified)` : '**no**';
}

const fmt = (v, digits = 0) =>
  v === null || v === undefined
    ? 'n/a'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const digitsFor = (s) => (s.metric === 'p99' || s.metric === 'mbPerSec' ? 2 : 0);

/** The markdown table: one row per scenario × baseline. */
export function markdownTable(report, servers) {
  const rows = [
    '| scenario | socketkit | baseline | socketkit ÷ baseline | target | met |',
    '|---|---|---|---|---|---|',
  ];
  for (const s of report.scenarios) {
    const runsNote =
      s.repeat !== undefined && s.repeat !== report.repeat
        ? ` (${s.repeat} run${s.repeat === 1 ? '' : 's'})`
        : '';
    const subject = s.skipped[s.subject]
      ? `not available (${s.skipped[s.subject]})`
      : `${fmt(s.medians[s.subject], digitsFor(s))} ${s.unit}${runsNote}`;
    if (s.absolute) {
      const ok = absoluteMet(s);
      rows.push(
        `| ${s.title} | ${subject} | (absolute) | – | < ${s.absolute.max} ${s.unit} | ${ok === null ? 'n/a' : verdictCell(ok, s)} |`,
      );
    }
    if (s.baselines.length === 0 && !s.absolute) {
      rows.push(`| ${s.title} | ${subject} | – | – | – | – |`);
    }
    for (const b of s.baselines) {
      const label = servers[b].label;
      if (s.skipped[b]) {
        rows.push(
          `| ${s.title} | ${subject} | ${label}: not available (${s.skipped[b]}) | – | – | – |`,
        );
        continue;
      }
      const r = s.ratios[b];
      const t = s.targets[b];
      const ok = meets(s, b, r);
      rows.push(
        `| ${s.title} | ${subject} | ${label}: ${fmt(s.medians[b], digitsFor(s))} ${s.unit} | ${
          r === null ? 'n/a' : `${r.toFixed(2)}×`
        } | ${t === undefined ? '–' : `${s.better === 'lower' ? '≤' : '≥'} ${t}×`} | ${verdictCell(
          ok,
          s,
        )} |`,
      );
    }
    // Pass/fail targets on the subject's runs (connections held, overflows, lost lines).
    for (const c of s.checks ?? []) {
      const base = Object.entries(c.baselines)
        .map(([b, v]) => `${servers[b]?.label ?? b}: ${v}`)
        .join('; ');
      rows.push(
        `| ${s.title}: ${c.label} | ${c.value} | ${base || '–'} | – | ${c.target} | ${verdictCell(c.met)} |`,
      );
    }
  }
  return rows.join('\n');
}

/** Extra facts per scenario: verification, conns memory and listen overflows, CPU. */
export function detailLines(report) {
  const out = [];
  for (const s of report.scenarios) {
    for (const [name, runs] of Object.entries(s.runs)) {
      const ok = runs.filter((r) => !r.error);
      if (ok.length === 0) continue;
      const unverified = ok.filter((r) => !r.verified).length;
      const cpu = ok.map((r) => r.cpu?.percentOfCore).filter((x) => typeof x === 'number');
      const srv = ok.map((r) => r.serverCpu).filter((x) => typeof x === 'number');
      // CPU µs per operation: what one op costs the generator and the server.
      const perOp = (sec, r) => (r.counters?.ops > 0 ? (sec * 1e6) / r.counters.ops : null);
      const genUs = median(
        ok
          .map((r) => perOp((r.cpu?.user ?? 0) + (r.cpu?.system ?? 0), r))
          .filter((x) => x !== null),
      );
      const srvUs = median(
        ok
          .map((r) => (typeof r.serverCpu === 'number' ? perOp(r.serverCpu, r) : null))
          .filter((x) => x !== null),
      );
      // The server's CPU is that of its whole process tree (primary and workers).
      const procs = Math.max(0, ...ok.map((r) => r.serverProcesses ?? 0));
      const failed = runs.length - ok.length;
      let line = `- ${s.id} / ${name}: ${ok.length} run(s)${failed > 0 ? ` (+${failed} failed)` : ''}, ${
        unverified === 0 ? 'all verified' : `${unverified} NOT verified`
      }; generator ${fmt(median(cpu))}% of a core, ${fmt(genUs, 1)} µs CPU/op; server${
        procs > 1 ? ` (${procs} processes)` : ''
      } ${fmt(median(srv), 2)} s CPU/run, ${fmt(srvUs, 1)} µs CPU/op`;
      const generator = ok.find((r) => typeof r.generator === 'string')?.generator;
      if (generator) line += `; generator: ${generator}`;
      if (s.load?.[0] === 'conns' || s.id.startsWith('conns')) {
        const over = ok.map((r) => r.listenOverflows).filter((x) => typeof x === 'number');
        const held = ok.map((r) => r.counters?.connected);
        const pinged = ok.map((r) => r.counters?.ops);
        const accepted = ok.map((r) => r.serverFdsHolding ?? '?');
        line += `; held ${held.join('/')} connections (server had accepted ${accepted.join('/')} when its memory was read), pinged ${pinged.join('/')}; listen overflows (system-wide) ${over.join('/')}`;
      }
      if (s.id.startsWith('fanout')) {
        const miss = ok.map((r) => `${r.counters?.missing ?? '?'}/${r.counters?.reordered ?? '?'}`);
        line += `; missing/reordered ${miss.join(', ')}`;
      }
      out.push(line);
    }
    if (s.note) out.push(`- ${s.id}: ${s.note}`);
  }
  return out.join('\n');
}

function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar chart of every ratio, with its target marked. */
export function svgChart(report, servers) {
  const bars = [];
  for (const s of report.scenarios) {
    for (const b of s.baselines) {
      const r = s.ratios[b];
      if (r === null || r === undefined) continue;
      bars.push({
        label: `${s.id} vs ${servers[b].label}`,
        ratio: r,
        target: s.targets[b],
        lower: s.better === 'lower',
      });
    }
  }
  const rowH = 26;
  const left = 330;
  const width = 820;
  const plotW = width - left - 70;
  const max = Math.max(2, ...bars.map((b) => b.ratio), ...bars.map((b) => b.target ?? 0)) * 1.05;
  const x = (v) => left + (v / max) * plotW;
  const height = 60 + bars.length * rowH + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">socketkit ÷ baseline (median of ${report.repeat} runs; ${report.machine.cores} cores, Node ${esc(report.machine.node)})</text>`,
    `<text x="10" y="40" fill="#555">bars: ratio (lower is better for conns memory); black tick: the issue's target; dashed: 1.0×</text>`,
    `<line x1="${x(1)}" y1="48" x2="${x(1)}" y2="${height - 24}" stroke="#999" stroke-dasharray="4 3"/>`,
  ];
  bars.forEach((b, i) => {
    const y = 56 + i * rowH;
    const good =
      b.target === undefined ? null : b.lower ? b.ratio <= b.target : b.ratio >= b.target;
    const color = good === null ? '#6c8ebf' : good ? '#5a9e5a' : '#d0674a';
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(
      `<rect x="${left}" y="${y + 3}" width="${Math.max(1, x(b.ratio) - left)}" height="${rowH - 8}" fill="${color}"/>`,
    );
    parts.push(`<text x="${x(b.ratio) + 4}" y="${y + 15}">${b.ratio.toFixed(2)}×</text>`);
    if (b.target !== undefined) {
      parts.push(
        `<line x1="${x(b.target)}" y1="${y + 1}" x2="${x(b.target)}" y2="${y + rowH - 3}" stroke="#000" stroke-width="2"/>`,
      );
    }
  });
  parts.push(`<text x="${left}" y="${height - 8}" fill="#555">0×</text>`);
  parts.push(`<text x="${x(1)}" y="${height - 8}" fill="#555" text-anchor="middle">1×</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The generated block of docs/performance.md. */
export function markdownBlock(report, servers) {
  const m = report.machine;
  return [
    `Measured ${report.date} by \`${report.command}\` (${report.durationPerRun} s per run, median of ${report.repeat} unless a row says otherwise, generator ${report.generatorWorkers} worker thread(s), whole suite ${Math.round(report.wallSeconds)} s).`,
    '',
    ...warmupSentence(report),
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGB} GB, ${m.platform}, Node ${m.node}${m.python ? `, ${m.python}` : ''}. Generator and servers share the machine.`,
    '',
    `Pinning (\`--pin ${report.pinning?.mode ?? 'auto'}\`): ${pinningLine(report.pinning)}.`,
    '',
    "Server CPU and memory are those of the server process and all its descendants (a `--processes` server's workers), from `/proc` before and after each run.",
    '',
    markdownTable(report, servers),
    '',
    '![socketkit ÷ baseline](bench.svg)',
    '',
    'Per run:',
    '',
    detailLines(report),
  ].join('\n');
}

/** Writes the JSON, the SVG and the performance.md block; returns the paths. */
export async function writeOutputs(report, servers) {
  await mkdir('bench/results', { recursive: true });
  const day = report.date.slice(0, 10);
  const json = `bench/results/${day}.json`;
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile('docs/bench.svg', svgChart(report, servers));
  const md = 'docs/performance.md';
  let text = await readFile(md, 'utf8').catch(
    () => '# Performance\n\n<!-- bench:begin -->\n<!-- bench:end -->\n',
  );
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const block = `${begin}\n${markdownBlock(report, servers)}\n${end}`;
  text =
    i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text}\n${block}\n`;
  await writeFile(md, text);
  return [json, 'docs/bench.svg', md];
}
