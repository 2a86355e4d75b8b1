// A diagnostic, preloaded into both processes of a remote case: how long each process takes from ws handing it a
// message (the 'message' event) to its next send (ws's `send`). With one request in flight, that is the work the
// process adds to a round trip above reading and writing the socket; printed as quantiles at exit.
//
//   NODE_OPTIONS="--require ./src/remote/turnaround-probe.cjs" node --import tsx src/remote/run-remote-case.ts troupe-ask-1
/* global require, process, console */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- preloaded with --require, before any loader
const { WebSocket } = require('ws');

const turnarounds = [];
let arrived = 0n;

const emit = WebSocket.prototype.emit;
WebSocket.prototype.emit = function (event, ...args) {
  if (event === 'message') arrived = process.hrtime.bigint();
  return emit.call(this, event, ...args);
};

const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (...args) {
  if (arrived !== 0n) {
    turnarounds.push(Number(process.hrtime.bigint() - arrived) / 1000);
    arrived = 0n;
  }
  return send.apply(this, args);
};

process.on('exit', () => {
  // The first thousand are the warm-up.
  const t = turnarounds.slice(1000).sort((a, b) => a - b);
  if (t.length === 0) return;
  const q = (f) => t[Math.floor(f * (t.length - 1))].toFixed(1);
  const role = process.send && process.argv.some((a) => a.endsWith('server.ts')) ? 'server' : 'client';
  console.error(
    `${role} turnaround (µs), ${t.length} round trips: p50 ${q(0.5)}, p90 ${q(0.9)}, p99 ${q(0.99)}`,
  );
});
