// `ccproxy mitm start`: one capture proxy in the foreground, logging to the terminal, until Ctrl-C
// (then the writer drains). Settings: ccproxy.yaml < environment (CCPROXY_MITM_*) < flags.
import { loadConfig } from '../../config/load.js';
import { runStandaloneCapture, STANDALONE_FLAGS } from '../../daemon/standalone-capture.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  usage: 'ccproxy mitm start [--port N] [--mode reverse|forward] [--upstream URL] [--host ADDR]',
  details: [
    'Defaults: --port 8081 (ccproxy.mitm.port, CCPROXY_MITM_PORT; 0 picks a free port), --mode reverse (ccproxy.mitm.mode,',
    'CCPROXY_MITM_MODE), --upstream http://localhost:4000 (ccproxy.mitm.upstream_proxy, CCPROXY_MITM_UPSTREAM),',
    '--host 127.0.0.1 (ccproxy.mitm.listen_host). Flags override the environment, which overrides ccproxy.yaml.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseFlags(argv, STANDALONE_FLAGS, this.usage, false);
    return runStandaloneCapture(loadConfig(), values);
  },
};
export default command;
