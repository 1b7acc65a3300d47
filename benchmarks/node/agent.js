// Runs the seed library, mongo-lock-node@2.0.0, on behalf of the Java benchmark harness.
//
// Protocol: one JSON request per line on stdin, one JSON reply per line on stdout, in order.
// The only unsolicited line is {"acquired": "<ns>"}, which follows a "wait" request's reply once
// the waiter holds the lock. Times are process.hrtime.bigint() (libuv: CLOCK_MONOTONIC), sent as
// strings; on Linux the JVM's System.nanoTime() reads the same clock, so the harness can subtract
// them across processes (it checks this at start-up with a "clock" round trip).
"use strict";

const readline = require("readline");
const { MongoClient } = require("mongodb");
const { RWMutex } = require("mongo-lock-node");

let client;
let collection;
let monitoredClient;
let monitoredCollection;
const holders = new Map();
const waiters = new Map();

const now = () => process.hrtime.bigint();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const send = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const mutex = (coll, lock, clientID, sleepTime) =>
  new RWMutex(coll, lock, clientID, { sleepTime: sleepTime, expiresAt: null });

async function cycleLoop(m, mode, deadline) {
  let ops = 0;
  while (now() < deadline) {
    if (mode === "read") {
      await m.rLock();
      await m.rUnlock();
    } else {
      await m.lock();
      await m.unlock();
    }
    ops++;
  }
  return ops;
}

const handlers = {
  async init(req) {
    client = new MongoClient(req.uri, { serverSelectionTimeoutMS: 10000 });
    await client.connect();
    collection = client.db(req.db).collection(req.coll);
    // The seed relies on this index (it does not create it): a second upsert must fail with 11000.
    await collection.createIndex({ lockID: 1 }, { unique: true });
    let commands = 0;
    monitoredClient = new MongoClient(req.uri, { serverSelectionTimeoutMS: 10000, monitorCommands: true });
    monitoredClient.on("commandStarted", (e) => {
      if (e.databaseName === req.db) commands++;
    });
    monitoredClient.commandCount = () => commands;
    await monitoredClient.connect();
    monitoredCollection = monitoredClient.db(req.db).collection(req.coll);
    const build = await client.db("admin").command({ buildInfo: 1 });
    return { node: process.version, driver: require("mongodb/package.json").version,
      seed: require("mongo-lock-node/package.json").version, server: build.version };
  },

  clock() {
    return { t: now().toString() };
  },

  // MongoDB commands sent per lock+unlock cycle, averaged over n cycles on one lock.
  async commands(req) {
    const m = mutex(monitoredCollection, req.lock, "seed-cmd", req.sleepTime);
    const before = monitoredClient.commandCount();
    for (let i = 0; i < req.n; i++) {
      if (req.mode === "read") {
        await m.rLock();
        await m.rUnlock();
      } else {
        await m.lock();
        await m.unlock();
      }
    }
    return { perCycle: (monitoredClient.commandCount() - before) / req.n };
  },

  // Uncontended cycles: `threads` concurrent loops, each on its own lock, for `ms` milliseconds.
  async cycles(req) {
    const start = now();
    const deadline = start + BigInt(req.ms) * 1000000n;
    const loops = [];
    for (let i = 0; i < req.threads; i++) {
      const m = mutex(collection, `${req.lock}-${i}`, `seed-${i}`, req.sleepTime);
      loops.push(cycleLoop(m, req.mode, deadline));
    }
    const counts = await Promise.all(loops);
    return { ops: counts.reduce((a, b) => a + b, 0), ns: (now() - start).toString() };
  },

  // Contended: `workers` loops on one lock; each operation is a read with probability readPct/100.
  async contended(req) {
    const start = now();
    const deadline = start + BigInt(req.ms) * 1000000n;
    const loops = [];
    for (let i = 0; i < req.workers; i++) {
      const m = mutex(collection, req.lock, `seed-w${i}`, req.sleepTime);
      loops.push((async () => {
        let ops = 0;
        while (now() < deadline) {
          if (Math.random() * 100 < req.readPct) {
            await m.rLock();
            await m.rUnlock();
          } else {
            await m.lock();
            await m.unlock();
          }
          ops++;
        }
        return ops;
      })());
    }
    const counts = await Promise.all(loops);
    return { ops: counts.reduce((a, b) => a + b, 0), minWorker: Math.min(...counts), ns: (now() - start).toString() };
  },

  // Hand-off inside this process: holder releases after holdMs while a second client waits.
  async handoffLocal(req) {
    const holder = mutex(collection, req.lock, "seed-holder", req.sleepTime);
    const waiter = mutex(collection, req.lock, "seed-waiter", req.sleepTime);
    await holder.lock();
    let acquiredAt = 0n;
    const waiting = waiter.lock().then(() => { acquiredAt = now(); });
    await sleep(req.holdMs);
    const releaseStart = now();
    await holder.unlock();
    const releasedAt = now();
    await waiting;
    await waiter.unlock();
    if (acquiredAt < releaseStart) throw new Error("waiter acquired before the holder released");
    return { ns: (acquiredAt - releasedAt).toString() };
  },

  async hold(req) {
    const m = mutex(collection, req.lock, req.client, req.sleepTime);
    await m.lock();
    holders.set(req.lock, m);
    return { ok: 1 };
  },

  async release(req) {
    const releaseStart = now();
    await holders.get(req.lock).unlock();
    const releasedAt = now();
    holders.delete(req.lock);
    return { t0: releaseStart.toString(), t: releasedAt.toString() };
  },

  wait(req) {
    const m = mutex(collection, req.lock, req.client, req.sleepTime);
    waiters.set(req.lock, m);
    m.lock().then(
      () => send({ acquired: now().toString() }),
      (err) => send({ error: String(err && err.message) }),
    );
    return { waiting: 1 };
  },

  async unlockWaiter(req) {
    await waiters.get(req.lock).unlock();
    waiters.delete(req.lock);
    return { ok: 1 };
  },

  async exit() {
    await client.close();
    await monitoredClient.close();
    send({ ok: 1 });
    process.exit(0);
  },
};

// Requests are handled one at a time, in arrival order.
let queue = Promise.resolve();
const input = readline.createInterface({ input: process.stdin });
input.on("close", () => queue.then(() => process.exit(0)));
input.on("line", (line) => {
  queue = queue.then(async () => {
    let req;
    try {
      req = JSON.parse(line);
      const reply = await handlers[req.op](req);
      if (req.op !== "exit") send(reply);
    } catch (err) {
      send({ error: `${req ? req.op : "parse"}: ${err && err.stack ? err.stack : err}` });
    }
  });
});
