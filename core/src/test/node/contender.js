#!/usr/bin/env node
// Node side of NodeInteropTest: runs mongo-lock-node@2.0.0's RWMutex against the same lock collection
// as the Java RWMutex. Plain JS, no build step.
//
// Contend mode (default):
//   node contender.js <uri> <db> <lockCollection> <lockID> <clientID> <mix> <sections> [options]
//     mix       pattern of 'w' (write) and 'r' (read) sections, cycled: section i uses mix[i % mix.length]
//     sections  number of critical sections to run
//   options:
//     --probe=<collection>   collection of the overlap probe document (default "probe")
//     --probe-id=<id>        _id of the probe document (default: the lockID)
//     --hold-ms=<n>          sleep inside each critical section (default 2)
//     --pause-ms=<n>         max random pause between sections, outside the lock (default 2)
//     --sleep-ms=<n>         mongo-lock-node sleepTime between acquisition attempts (default 5)
//     --no-lock              run the critical sections WITHOUT the lock (to prove the probe catches overlaps)
//     --wait-go              after connecting, print {"event":"ready"} and wait for a line "go" on stdin
//   prints one JSON line per event; the last line is {"event":"done", ...counts}.
//
// Hold mode (byte-compatibility checks):
//   node contender.js hold <uri> <db> <lockCollection> <lockID> <clientID> <w|r> [--sleep-ms=<n>]
//   prints {"event":"connected","doc":<lock document before acquiring>}, acquires, prints
//   {"event":"held","mode":..,"doc":<lock document>}, waits for a line "release" on stdin, releases, prints
//   {"event":"released","doc":<lock document or null>} and exits 0.
//
// Exits non-zero (after printing {"event":"error",...}) on any error.
"use strict";

const readline = require("readline");
const { MongoClient, MongoError } = require("mongodb");
const { RWMutex } = require("mongo-lock-node");

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseOptions(args) {
  const options = {};
  for (const arg of args) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      throw new Error(`unexpected argument: ${arg}`);
    }
    options[m[1]] = m[2] === undefined ? true : m[2];
  }
  return options;
}

function intOption(options, name, dflt) {
  if (options[name] === undefined) return dflt;
  const n = Number(options[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

// Lines from stdin, consumed in order by waitForLine.
const stdinLines = [];
let stdinWaiter = null;
let stdinClosed = false;
function listenStdin() {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    stdinLines.push(line.trim());
    if (stdinWaiter) stdinWaiter();
  });
  rl.on("close", () => {
    stdinClosed = true;
    if (stdinWaiter) stdinWaiter();
  });
}
async function waitForLine(expected) {
  for (;;) {
    while (stdinLines.length > 0) {
      if (stdinLines.shift() === expected) return;
    }
    if (stdinClosed) throw new Error(`stdin closed while waiting for "${expected}"`);
    await new Promise((resolve) => (stdinWaiter = resolve));
    stdinWaiter = null;
  }
}

async function connect(uri) {
  // The embedded mongo-java-server answers the legacy isMaster handshake, which driver 6.x sends
  // unless serverApi or loadBalanced is set. Keep the timeouts short so that a dead server fails fast.
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 10000,
    connectTimeoutMS: 10000,
    retryWrites: false,
  });
  await client.connect();
  return client;
}

function stripId(doc) {
  if (!doc) return doc;
  const { _id, ...rest } = doc;
  return rest;
}

/*
 * Cross-process overlap probe: one document {_id, writers, readers, lastBy}, changed atomically.
 * Same protocol as the Java OverlapProbe:
 *   enter write: $inc writers; overlap if the before-image had writers > 0 or readers > 0
 *   enter read:  $inc readers; overlap if the before-image had writers > 0
 *   exit:        $inc -1 on the same counter
 * lastBy records who entered last ("node:<clientID>" / "java:<clientID>"), so a section can tell that
 * the previous holder was the other runtime (a cross-runtime hand-off).
 */
class OverlapProbe {
  constructor(collection, probeId, holder) {
    this.coll = collection;
    this.id = probeId;
    this.holder = holder;
  }

  async enter(mode) {
    const field = mode === "w" ? "writers" : "readers";
    for (let attempt = 0; ; attempt++) {
      try {
        const before = await this.coll.findOneAndUpdate(
          { _id: this.id },
          { $inc: { [field]: 1 }, $set: { lastBy: this.holder } },
          { upsert: true, returnDocument: "before" },
        );
        const writers = (before && before.writers) || 0;
        const readers = (before && before.readers) || 0;
        const lastBy = (before && before.lastBy) || "";
        return {
          overlap: mode === "w" ? writers > 0 || readers > 0 : writers > 0,
          sharedRead: mode === "r" && readers > 0,
          crossRuntime: lastBy !== "" && lastBy.split(":")[0] !== this.holder.split(":")[0],
        };
      } catch (err) {
        // two first upserts of the probe document may race on _id; the loser retries
        if (err instanceof MongoError && err.code === 11000 && attempt < 5) continue;
        throw err;
      }
    }
  }

  async exit(mode) {
    const field = mode === "w" ? "writers" : "readers";
    await this.coll.updateOne({ _id: this.id }, { $inc: { [field]: -1 } });
  }
}

async function contend(argv) {
  if (argv.length < 7) {
    throw new Error(
      "usage: contender.js <uri> <db> <lockCollection> <lockID> <clientID> <mix> <sections> [options]",
    );
  }
  const [uri, dbName, lockCollName, lockID, clientID, mix, sectionsArg] = argv.slice(0, 7);
  const options = parseOptions(argv.slice(7));
  if (!/^[wr]+$/.test(mix)) throw new Error(`mix must be a pattern of 'w' and 'r', got "${mix}"`);
  const sections = Number(sectionsArg);
  if (!Number.isInteger(sections) || sections < 0) throw new Error("sections must be a non-negative integer");
  const holdMs = intOption(options, "hold-ms", 2);
  const pauseMs = intOption(options, "pause-ms", 2);
  const sleepMs = intOption(options, "sleep-ms", 5);
  const noLock = options["no-lock"] === true;

  if (options["wait-go"]) listenStdin();
  const client = await connect(uri);
  const db = client.db(dbName);
  const probe = new OverlapProbe(
    db.collection(options["probe"] || "probe"),
    options["probe-id"] || lockID,
    `node:${clientID}`,
  );
  const mutex = new RWMutex(db.collection(lockCollName), lockID, clientID, {
    sleepTime: sleepMs,
    expiresAt: null,
  });

  if (options["wait-go"]) {
    emit({ event: "ready", clientID });
    await waitForLine("go");
  }

  const counts = {
    event: "done",
    runtime: "node",
    clientID,
    locked: !noLock,
    sectionsPlanned: sections,
    sections: 0,
    writeSections: 0,
    readSections: 0,
    overlaps: 0,
    sharedReads: 0,
    crossRuntimeHandoffs: 0,
    maxAcquireMs: 0,
    elapsedMs: 0,
  };
  const start = Date.now();
  for (let i = 0; i < sections; i++) {
    const mode = mix[i % mix.length];
    const t0 = Date.now();
    if (!noLock) {
      if (mode === "w") await mutex.lock();
      else await mutex.rLock();
    }
    counts.maxAcquireMs = Math.max(counts.maxAcquireMs, Date.now() - t0);
    let seen;
    try {
      seen = await probe.enter(mode);
      if (holdMs > 0) await sleep(holdMs);
      await probe.exit(mode);
    } finally {
      if (!noLock) {
        if (mode === "w") await mutex.unlock();
        else await mutex.rUnlock();
      }
    }
    counts.sections++;
    if (mode === "w") counts.writeSections++;
    else counts.readSections++;
    if (seen.overlap) counts.overlaps++;
    if (seen.sharedRead) counts.sharedReads++;
    if (seen.crossRuntime) counts.crossRuntimeHandoffs++;
    if (pauseMs > 0) await sleep(Math.floor(Math.random() * (pauseMs + 1)));
  }
  counts.elapsedMs = Date.now() - start;
  await client.close();
  emit(counts);
}

async function hold(argv) {
  if (argv.length < 6) {
    throw new Error("usage: contender.js hold <uri> <db> <lockCollection> <lockID> <clientID> <w|r> [--sleep-ms=n]");
  }
  const [uri, dbName, lockCollName, lockID, clientID, mode] = argv.slice(0, 6);
  const options = parseOptions(argv.slice(6));
  if (mode !== "w" && mode !== "r") throw new Error(`mode must be w or r, got "${mode}"`);
  listenStdin();
  const client = await connect(uri);
  const coll = client.db(dbName).collection(lockCollName);
  const mutex = new RWMutex(coll, lockID, clientID, {
    sleepTime: intOption(options, "sleep-ms", 5),
    expiresAt: null,
  });
  emit({ event: "connected", clientID, doc: stripId(await coll.findOne({ lockID })) });
  if (mode === "w") await mutex.lock();
  else await mutex.rLock();
  emit({ event: "held", clientID, mode, doc: stripId(await coll.findOne({ lockID })) });
  await waitForLine("release");
  if (mode === "w") await mutex.unlock();
  else await mutex.rUnlock();
  emit({ event: "released", clientID, mode, doc: stripId(await coll.findOne({ lockID })) });
  await client.close();
}

const argv = process.argv.slice(2);
(argv[0] === "hold" ? hold(argv.slice(1)) : contend(argv))
  .then(() => process.exit(0))
  .catch((err) => {
    emit({ event: "error", message: err && err.message ? err.message : String(err) });
    process.exit(1);
  });
