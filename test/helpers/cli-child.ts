// The `ceremony` command in a child process, from source (what bin/ceremony.js runs once built).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
