// Errors a user can act on: the CLI prints their message alone (no stack) and exits non-zero.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A problem in the configuration: ccproxy.yaml, config.yaml or a setting in the environment. */
export class ConfigError extends UserError {}
