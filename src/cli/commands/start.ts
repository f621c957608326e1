// `ccproxy start [--mitm] [--detach]`: the gateway on the main port, or with --mitm (or ccproxy.mitm.enabled)
// both capture points around it, in one process. Foreground: log lines on the terminal until Ctrl-C. Detached:
// in the background with its log in the config directory; this command returns once every component listens.
import { DAEMON_LOG_FLAG } from '../../daemon/detach.js';
import { START_FLAGS, startCcproxy } from '../../daemon/launch.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

/** START_FLAGS plus the one that only --detach passes to the background child it starts (not in the usage). */
const OPTIONS = { ...START_FLAGS, [DAEMON_LOG_FLAG]: { type: 'string' } } as const;

const command: Command = {
  usage: 'ccproxy start [--mitm] [--detach|-d] [--port N] [--host ADDR]',
  details: [
    'The main entry listens on --port/--host, else ccproxy.port/ccproxy.host (or litellm.port/host), default 127.0.0.1:4000;',
    'with --mitm (or ccproxy.mitm.enabled) the forward capture listens on ccproxy.mitm.port (CCPROXY_MITM_PORT), default 8081,',
    'and the gateway on a free loopback port. --detach: PID, state and log files in the config directory.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseFlags(argv, OPTIONS, this.usage, false);
    return startCcproxy({ mitm: values.mitm ?? false, detach: values.detach ?? false, port: values.port, host: values.host, daemonLog: values[DAEMON_LOG_FLAG] });
  },
};
export default command;
