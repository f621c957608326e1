// What a command module exports: its usage and what it does; its name and one-line summary live in main.ts's table.
export interface Command {
  usage: string;
  /** More for --help: defaults, where settings come from. */
  details?: string;
  /** Its arguments belong to another program (`ccproxy run`): only a leading --help is ours. */
  passThrough?: boolean;
  run(argv: string[]): Promise<number>;
}
