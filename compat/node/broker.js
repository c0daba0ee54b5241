// Starts the arus binary on an ephemeral loopback port with a temporary data dir.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..');

async function startBroker() {
  const bin = process.env.ARUS_BIN || path.join(ROOT, 'target', 'debug', 'arus');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arus-node-'));
  const child = spawn(bin, ['server',
    '--override', 'listeners=PLAINTEXT://127.0.0.1:0',
    '--override', `log.dirs=${dataDir}`,
    '--override', 'console.listener=127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker not ready in 30 s:\n${stderr}`)), 30000);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^arus: listening on PLAINTEXT:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code}:\n${stderr}`)));
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startBroker };
