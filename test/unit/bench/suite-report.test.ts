import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  markdownBlock,
  markdownTable,
  meets,
  type ScenarioResult,
  type SuiteReport,
  svgChart,
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

  it('the SVG has a bar per ratio and escapes labels', () => {
    const svg = svgChart(report([scenario({})]), { ...servers, 'raw-net': { label: 'raw <net>' } });
    assert.match(svg, /^<svg /);
    assert.match(svg, /rr-100 vs raw &lt;net&gt;/);
    assert.match(svg, /0\.90×/);
    assert.match(svg, /2\.25×/);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
  });
});
