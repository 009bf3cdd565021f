/**
 * Preloaded (`node --require`) into a CLI run by test/reliability/isolation.test.ts: every way Node reaches the
 * network — TCP sockets, TLS, DNS, http/https, fetch — records the attempt in $NO_NETWORK_LOG and throws. The
 * generator must never need one.
 */
"use strict";
const fs = require("node:fs");
const log = process.env.NO_NETWORK_LOG;
const refuse = (what) =>
  function refused() {
    if (log) fs.appendFileSync(log, `${what}\n`);
    throw new Error(`network access (${what}) during a gitops run`);
  };
// A local pipe or Unix socket (a path, no host or port) is not the network: tsx talks to its parent over one.
const localPipe = (args) => {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === "string") return Number.isNaN(Number(first));
  return typeof first === "object" && first !== null && typeof first.path === "string";
};
const guard = (what, original) =>
  function guarded(...args) {
    return localPipe(args) ? original.apply(this, args) : refuse(what).apply(this, args);
  };
const net = require("node:net");
net.Socket.prototype.connect = guard("net.Socket.connect", net.Socket.prototype.connect);
net.connect = net.createConnection = guard("net.connect", net.connect);
const tls = require("node:tls");
tls.connect = refuse("tls.connect");
const dns = require("node:dns");
for (const name of ["lookup", "resolve", "resolve4", "resolve6", "resolveAny"]) {
  dns[name] = refuse(`dns.${name}`);
  dns.promises[name] = refuse(`dns.promises.${name}`);
}
for (const mod of ["node:http", "node:https"]) {
  const m = require(mod);
  m.request = m.get = refuse(`${mod}.request`);
}
globalThis.fetch = refuse("fetch");
if (globalThis.WebSocket) globalThis.WebSocket = refuse("WebSocket");
