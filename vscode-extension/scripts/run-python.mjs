// Run a Python script with $PYTHON (default python3; python on Windows), forwarding the exit code.
import { spawnSync } from 'node:child_process';

const python = process.env.PYTHON || (process.platform === 'win32' ? 'python' : 'python3');
const result = spawnSync(python, process.argv.slice(2), { stdio: 'inherit' });
if (result.error) {
  console.error(`cannot run ${python}: ${result.error.message} (set PYTHON to a Python >= 3.10 with pip)`);
  process.exit(2);
}
process.exit(result.status ?? 1);
