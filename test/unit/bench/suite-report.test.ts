import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  absoluteMet,
  detailLines,
  markdownBlock,
  markdownTable,
  meets,
  pinningLine,
  type ScenarioResult,
  type SuiteReport,
  svgChart,
  warmupLine,
} from '../../../bench/lib/report.mjs';

const servers = {
  socketkit: { label: 'socketkit serve echo' },
  'raw-net': { label: 'raw Node net' },
  'py-threading': { label: 'Python threads' },
  'raw-dgram': { label: 'raw dgram' },
};

function scenario(patch: Partial<ScenarioResult>): ScenarioResult {
  return {
    id: 'rr-100',
    title: 'TCP echo rr',
    metric: 'opsPerSec',
    unit: 'replies/s',
    subject: 'socketkit',
    baselines: ['raw-net', 'py-threading'],
    targets: { 'raw-net': 1.0, 'py-threading': 2.0 },
    medians: { socketkit: 90, 'raw-net': 100, 'py-threading': 40 },
    ratios: { 'raw-net': 0.9, 'py-threading': 2.25 },
    skipped: {},
    runs: {
      socketkit: [
        {
          verified: true,
          counters: { ops: 900 },
          cpu: { user: 0.1, system: 0.1, percentOfCore: 20 },
          serverCpu: 0.5,
        },
      ],
    },
    ...patch,
  };
}

function report(scenarios: ScenarioResult[]): SuiteReport {
  return {
    date: '2026-11-22T05:00:00.000Z',
    command: 'node bench/suite.mjs',
    durationPerRun: 3,
    generatorWorkers: 1,
    repeat: 3,
    wallSeconds: 400,
    machine: {
      cores: 2,
      cpu: 'test',
      memoryGB: 8,
      node: 'v20.0.0',
      platform: 'linux x64',
      python: null,
    },
    scenarios,
  };
}

describe('suite targets', () => {
  it('meets: higher-is-better ratios must reach the target', () => {
    const s = scenario({});
    assert.equal(meets(s, 'raw-net', 0.9), false);
    assert.equal(meets(s, 'raw-net', 1.0), true);
    assert.equal(meets(s, 'py-threading', 2.25), true);
  });

  it('meets: lower-is-better ratios (memory) must stay under it', () => {
    const s = scenario({ better: 'lower', targets: { 'raw-net': 1.2 } });
    assert.equal(meets(s, 'raw-net', 1.1), true);
    assert.equal(meets(s, 'raw-net', 1.3), false);
  });

  it('meets: not when a run of the subject failed or was not verified', () => {
    const s = scenario({ failed: { socketkit: 1, 'raw-net': 0 } });
    assert.equal(meets(s, 'py-threading', 2.25), false);
    assert.equal(meets(scenario({ failed: { socketkit: 0 } }), 'py-threading', 2.25), true);
  });

  it('absoluteMet: the figure must stay strictly below the maximum', () => {
    const at = (v: number) =>
      scenario({ absolute: { max: 5 }, medians: { socketkit: v }, better: 'lower' });
    assert.equal(absoluteMet(at(4.99)), true);
    assert.equal(absoluteMet(at(5)), false);
    assert.equal(absoluteMet(scenario({})), null);
  });

  it('meets: no target or no figure gives null', () => {
    const s = scenario({ targets: {} });
    assert.equal(meets(s, 'raw-net', 1.5), null);
    assert.equal(meets(scenario({}), 'raw-net', null), null);
  });
});

describe('suite outputs', () => {
  it('the table has one row per baseline, with ratio, target and verdict', () => {
    const md = markdownTable(report([scenario({})]), servers);
    assert.match(
      md,
      /\| TCP echo rr \| 90 replies\/s \| raw Node net: 100 replies\/s \| 0\.90× \| ≥ 1× \| \*\*no\*\* \|/,
    );
    assert.match(md, /Python threads: 40 replies\/s \| 2\.25× \| ≥ 2× \| yes \|/);
  });

  it('reports a missing service or tool as not available', () => {
    const s = scenario({
      subject: 'socketkit',
      baselines: ['raw-dgram'],
      skipped: {
        socketkit: 'socketkit service "echo" not available',
        'raw-dgram': 'x not installed',
      },
      medians: { socketkit: null, 'raw-dgram': null },
      ratios: { 'raw-dgram': null },
    });
    const md = markdownTable(report([s]), servers);
    assert.match(md, /not available \(socketkit service "echo" not available\)/);
    assert.match(md, /raw dgram: not available \(x not installed\)/);
  });

  it('the block names the machine, the command and per-run CPU', () => {
    const block = markdownBlock(report([scenario({})]), servers);
    assert.match(block, /Machine: 2 cores \(test\)/);
    assert.match(block, /`node bench\/suite\.mjs`/);
    assert.match(
      block,
      /rr-100 \/ socketkit: 1 run\(s\), all verified; generator 20% of a core, 222\.2 µs CPU\/op/,
    );
  });

  it('renders pass/fail checks as rows, with the baselines for comparison', () => {
    const s = scenario({
      id: 'conns-15k',
      title: '15k held',
      baselines: ['raw-net'],
      targets: {},
      repeat: 1,
      checks: [
        {
          kind: 'allHeld',
          label: 'all 15,000 connections held, then each pinged',
          target: '15,000/15,000 in every run',
          value: 'held/pinged 15,000/14,000',
          baselines: { 'raw-net': 'held/pinged 15,000/15,000' },
          met: false,
        },
      ],
    });
    const md = markdownTable(report([s]), servers);
    assert.match(
      md,
      /\| 15k held: all 15,000 connections held, then each pinged \| held\/pinged 15,000\/14,000 \| raw Node net: held\/pinged 15,000\/15,000 \| – \| 15,000\/15,000 in every run \| \*\*no\*\* \|/,
    );
    // One run instead of the suite's three: the row says so.
    assert.match(md, /\| 15k held \| 90 replies\/s \(1 run\) \|/);
  });

  it('says why a verdict is no when runs failed', () => {
    const md = markdownTable(report([scenario({ failed: { socketkit: 2 } })]), servers);
    assert.match(md, /2\.25× \| ≥ 2× \| \*\*no\*\* \(2 run\(s\) failed or not verified\) \|/);
  });

  it('the block says where processes ran, or why they were not pinned', () => {
    const notPinned = {
      mode: 'auto' as const,
      applied: false,
      cpus: '0,1',
      tasksetAvailable: true,
      reason: '2 core(s) available; pinning needs at least 3',
    };
    const block = markdownBlock({ ...report([scenario({})]), pinning: notPinned }, servers);
    assert.match(block, /Pinning \(`--pin auto`\): none — 2 core\(s\) available/);
    assert.equal(
      pinningLine({ ...notPinned, applied: true, reason: 'generator on CPU(s) 0' }),
      'generator on CPU(s) 0',
    );
    assert.equal(pinningLine(undefined), 'not recorded');
  });

  it('per-run lines count the server tree and what the server accepted', () => {
    const s = scenario({
      id: 'conns',
      note: 'pinning: none (2 cores)',
      runs: {
        socketkit: [
          {
            verified: true,
            counters: { ops: 10, connected: 10 },
            cpu: { user: 0, system: 0, percentOfCore: 1 },
            serverCpu: 0.2,
            serverProcesses: 3,
            serverFdsHolding: 9,
            listenOverflows: 0,
          },
        ],
      },
    });
    const lines = detailLines(report([s]));
    assert.match(lines, /server \(3 processes\) 0\.20 s CPU\/run/);
    assert.match(
      lines,
      /held 10 connections \(server had accepted 9 when its memory was read\), pinged 10/,
    );
    assert.match(lines, /- conns: pinning: none \(2 cores\)/);
  });

  it('states the warm-up, and the scenarios that have none', () => {
    const conns = scenario({ id: 'conns', warmup: 0 });
    const conns15k = scenario({ id: 'conns-15k', warmup: 0 });
    const rr = scenario({ warmup: 1 });
    assert.equal(
      warmupLine(1, [rr, conns, conns15k]),
      'warm-up 1 s before each run, not measured (conns, conns-15k: none)',
    );
    assert.equal(warmupLine(1, [{ id: 'x' }]), 'warm-up 1 s before each run, not measured');
    assert.equal(warmupLine(0, [rr]), 'no warm-up (rr-100: 1 s)');
    const block = markdownBlock({ ...report([rr, conns]), warmupPerRun: 1 }, servers);
    assert.match(
      block,
      /Warm-up before each run \(`--warmup`\): 1 s \(conns: none\)\. The same load runs first/,
    );
    const none = markdownBlock({ ...report([conns]), warmupPerRun: 0 }, servers);
    assert.match(none, /No warm-up: every operation of a run is measured\./);
    // Reports written before the warm-up existed say nothing about it.
    assert.doesNotMatch(markdownBlock(report([rr]), servers), /warm-up/i);
  });

  it('the SVG has a bar per ratio and escapes labels', () => {
    const svg = svgChart(report([scenario({})]), { ...servers, 'raw-net': { label: 'raw <net>' } });
    assert.match(svg, /^<svg /);
    assert.match(svg, /rr-100 vs raw &lt;net&gt;/);
    assert.match(svg, /0\.90×/);
    assert.match(svg, /2\.25×/);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
  });
});
