// `npm start`: the demo upstream (127.0.0.1:9001, :9002) plus `sluice start` on ./gateway.yaml,
// so a fresh clone shows a working gateway. Extra arguments go to `sluice start`.
import { startDemoUpstream } from '../examples/demo-upstream.js';
import { main } from '../dist/cli/main.js';

// npm runs this script under `sh -c`; when npm is stopped with SIGTERM it signals only that
// shell, and this process would live on as an orphan still serving the ports. Drain and stop
// (as on SIGTERM) as soon as the parent is gone.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 250).unref();

const servers = await Promise.all([9001, 9002].map((p) => startDemoUpstream(p)));
console.error('demo upstream on 127.0.0.1:9001 and 127.0.0.1:9002; try: curl -i http://127.0.0.1:8000/hello');
const code = await main(['start', ...process.argv.slice(2)]);
for (const s of servers) s.close();
process.exit(code);
