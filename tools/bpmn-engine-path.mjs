#!/usr/bin/env node
// Runs BPMN files in bpmn-engine (npm, by paed01) the way crates/workflow/tests/engine/corpus.rs
// runs them in ours, and prints one JSON line per file:
//   {"file":…,"tasks":[user tasks completed, in order],"ends":[end events reached, sorted],
//    "status":"completed"|"active"|"error","error":…}
//
// Usage: node tools/bpmn-engine-path.mjs [--modules DIR] FILE.bpmn…
//   DIR is the node_modules holding bpmn-engine (default: $CQDT_BPMN_ENGINE_DIR).
//
// The run, step by step, as in corpus.rs: start with no variables; once nothing is executing,
// take the oldest wait (by when it began): a user task is signalled (completed with no
// output) and recorded, a manual task is signalled and not recorded (ours passes it through);
// an intermediate timer lets a day pass on a fake clock (every timer due within it fires, in
// order, boundary timers included). Boundary timers fire only when the clock moves: a task
// is completed before any time passes. Nobody sends messages or signals, so receive tasks
// and message or signal catches wait for good. Stop when the engine ends (completed), errs
// (error), after 50 steps, or when nothing more can happen (active).
//
// Timers are bpmn-elements' documented `Timers` handler given our own setTimeout and
// clearTimeout (the engine's `timers` option): nothing waits for real time. (That handler
// never sets a timer of 2^31 ms, about 24.8 days, or more: such a timer never fires here
// either.) CQDT_BPMN_ENGINE_TRACE=1 prints the engine's events to stderr.
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_STEPS = 50;

const args = process.argv.slice(2);
let modules = process.env.CQDT_BPMN_ENGINE_DIR;
if (args[0] === '--modules') {
  modules = args[1];
  args.splice(0, 2);
}
if (!modules || args.length === 0) {
  console.error('usage: bpmn-engine-path.mjs [--modules NODE_MODULES] FILE.bpmn… (or set CQDT_BPMN_ENGINE_DIR)');
  process.exit(2);
}
const requireHere = createRequire(path.join(path.resolve(modules), 'resolve-from-here.js'));
const { Engine } = requireHere('bpmn-engine');
// The bpmn-elements that bpmn-engine itself uses.
const { Timers } = createRequire(requireHere.resolve('bpmn-engine'))('bpmn-elements');

/** Timers that fire only when `advance` moves the fake clock. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map();
  const timers = new Timers({
    setTimeout(callback, delay, ...args) {
      const ref = { n: seq++, due: now + Math.max(0, Number(delay) || 0), callback, args };
      pending.set(ref.n, ref);
      return ref;
    },
    clearTimeout(ref) {
      if (ref && typeof ref === 'object') pending.delete(ref.n);
    },
  });
  return {
    timers,
    /** Moves the clock on by `ms`, firing each timer due by then (earliest first). */
    advance(ms) {
      now += ms;
      for (;;) {
        const due = [...pending.values()].filter((t) => t.due <= now).sort((a, b) => a.due - b.due || a.n - b.n);
        if (due.length === 0) return;
        pending.delete(due[0].n);
        due[0].callback(...due[0].args);
      }
    },
  };
}

/** Lets the engine's queued work run until nothing is executing (or a bound is reached). */
async function settle(engine, outcome) {
  for (let i = 0; i < 1000; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (outcome.status || engine.activityStatus !== 'executing') return;
  }
}

async function runFile(file) {
  const result = { file: path.basename(file), tasks: [], ends: [], status: 'active' };
  const source = fs.readFileSync(file, 'utf8');
  const clock = fakeTimers();
  const outcome = {};
  // Waits by execution id, in the order they began: { seq, id, type, executionId, timer }.
  const waits = new Map();
  let seq = 0;
  const listener = new EventEmitter();
  if (process.env.CQDT_BPMN_ENGINE_TRACE === '1') {
    for (const event of ['activity.wait', 'activity.timer', 'activity.timeout', 'activity.end', 'flow.take', 'flow.discard']) {
      listener.on(event, (api) => console.error(`${result.file}: ${event} ${api.type} (${kindOf(api)}) ${api.id} ${api.executionId}`));
    }
  }
  listener.on('activity.wait', (api) => {
    waits.set(api.executionId, { seq: seq++, id: api.id, type: kindOf(api), executionId: api.executionId });
  });
  listener.on('activity.timer', (api) => {
    const key = `${api.executionId}#timer`;
    if (kindOf(api) !== 'bpmn:BoundaryEvent' && !waits.has(key)) {
      waits.set(key, { seq: seq++, id: api.id, type: kindOf(api), executionId: api.executionId, timer: true });
    }
  });
  const forget = (api) => {
    for (const [key, w] of waits) {
      if (w.executionId === api.executionId || key.startsWith(`${api.executionId}_`)) waits.delete(key);
    }
  };
  listener.on('activity.timeout', forget);
  listener.on('activity.leave', forget);
  listener.on('activity.end', (api) => {
    if (kindOf(api) === 'bpmn:EndEvent') result.ends.push(api.id);
  });

  const engine = new Engine({ name: result.file, source, timers: clock.timers });
  engine.once('end', () => {
    outcome.status = 'completed';
  });
  engine.once('error', (err) => {
    outcome.status = 'error';
    outcome.error = String(err?.message ?? err);
  });
  try {
    await engine.execute({ listener, variables: {} });
    await settle(engine, outcome);
    for (let step = 0; step < MAX_STEPS && !outcome.status; step++) {
      const postponed = new Set(postponedExecutions(engine));
      const open = [...waits.values()]
        .filter((w) => w.timer || postponed.has(w.executionId))
        .filter((w) => w.timer || w.type === 'bpmn:UserTask' || w.type === 'bpmn:ManualTask')
        .sort((a, b) => a.seq - b.seq);
      const next = open[0];
      if (!next) break;
      if (next.timer) {
        // Kept until it fires (activity.timeout): a longer timer takes more days.
        clock.advance(DAY_MS);
      } else {
        waits.delete(next.executionId);
        if (next.type === 'bpmn:UserTask') result.tasks.push(next.id);
        engine.execution.signal({ id: next.id, executionId: next.executionId });
      }
      await settle(engine, outcome);
    }
  } catch (err) {
    outcome.status = 'error';
    outcome.error = String(err?.message ?? err);
  }
  if (outcome.status) result.status = outcome.status;
  if (outcome.error) result.error = outcome.error;
  result.ends.sort();
  if (!outcome.status) await engine.stop();
  return result;
}

/** Execution ids of every activity (and loop iteration) that waits now. */
function postponedExecutions(engine) {
  const ids = [];
  const seen = new Set();
  const walk = (api) => {
    if (seen.has(api.executionId)) return;
    seen.add(api.executionId);
    ids.push(api.executionId);
    // Loop iterations (getExecuting) and what waits inside a sub-process (getPostponed).
    for (const child of [...(api.getExecuting?.() ?? []), ...(api.getPostponed?.() ?? [])]) walk(child);
  };
  for (const api of engine.execution?.getPostponed() ?? []) walk(api);
  return ids;
}

/** The element's own type (an event's messages carry its event definition's type). */
function kindOf(api) {
  return api.owner?.type ?? api.type;
}

for (const file of args) {
  let line;
  try {
    line = await runFile(file);
  } catch (err) {
    line = { file: path.basename(file), tasks: [], ends: [], status: 'error', error: String(err?.message ?? err) };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
process.exit(0);
