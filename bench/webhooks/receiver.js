// A fast webhook receiver for the benchmarks: answers every POST with 200 on each port given,
// except the ports given after --hang, which accept and read but never answer. Keep-alive.
// Prints "ready" once listening; on SIGTERM/SIGINT prints the deliveries counted per port.
// For the benchmarks to time a run as the receiver saw it, the way wrk counts its own rate:
//   GET /stats            (any port) the POSTs answered on all ports since the last GET /stats,
//                         and when (ms, monotonic) the first of them came and the last was
//                         answered; it starts the count again;
//   GET /wait?answered=N  the same without starting again, once N are answered: a benchmark
//                         waits with one request rather than polling during the run.
// Usage: node receiver.js PORT... [--hang PORT...]
"use strict";
const http = require("http");

const fast = [];
const hanging = [];
let target = fast;
for (const a of process.argv.slice(2)) {
  if (a === "--hang") target = hanging;
  else target.push(Number(a));
}
const counts = {};
let stats = { answered: 0, first_ms: 0, last_ms: 0 };
let waiting = [];  // [wanted, response]

function answerStats(res, s) {
  const body = JSON.stringify(s);
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
  res.end(body);
}

function control(req, res) {
  const url = new URL(req.url, "http://receiver");
  if (url.pathname === "/stats") {
    answerStats(res, stats);
    stats = { answered: 0, first_ms: 0, last_ms: 0 };
  } else if (url.pathname === "/wait") {
    const wanted = Number(url.searchParams.get("answered"));
    if (stats.answered >= wanted) answerStats(res, stats);
    else waiting.push([wanted, res]);
  } else {
    res.writeHead(404, { "Content-Length": 0 });
    res.end();
  }
}

function answered() {
  stats.answered++;
  stats.last_ms = performance.now();
  if (waiting.length === 0) return;
  const still = [];
  for (const [wanted, res] of waiting) {
    if (stats.answered >= wanted) answerStats(res, stats);
    else still.push([wanted, res]);
  }
  waiting = still;
}
let listening = 0;
const total = fast.length + hanging.length;

function listen(port, hang) {
  counts[port] = 0;
  const server = http.createServer((req, res) => {
    if (req.method === "GET") return control(req, res);
    if (stats.first_ms === 0) stats.first_ms = performance.now();
    req.on("data", () => {});
    req.on("end", () => {
      counts[port]++;
      if (hang) return;
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": 2 });
      res.end("{}");
      answered();
    });
  });
  server.keepAliveTimeout = 60000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.listen(port, "127.0.0.1", () => {
    if (++listening === total) console.log("ready");
  });
}

for (const p of fast) listen(p, false);
for (const p of hanging) listen(p, true);
const report = () => {
  console.log(JSON.stringify(counts));
  process.exit(0);
};
process.on("SIGTERM", report);
process.on("SIGINT", report);
