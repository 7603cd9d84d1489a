// A fast webhook receiver for the benchmarks: answers every POST with 200 on each port given,
// except the ports given after --hang, which accept and read but never answer. Keep-alive.
// Prints "ready" once listening; on SIGTERM/SIGINT prints the deliveries counted per port.
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
let listening = 0;
const total = fast.length + hanging.length;

function listen(port, hang) {
  counts[port] = 0;
  const server = http.createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      counts[port]++;
      if (hang) return;
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": 2 });
      res.end("{}");
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
