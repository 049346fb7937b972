/**
 * `sluice` command line (SPEC §2). Each command lives in its own module and exports
 * `run(argv): Promise<number>` (the exit code) and `HELP`.
 */
interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number>; HELP: string }>;
}

const COMMANDS: Record<string, Command> = {
  start: { summary: 'serve the configuration, watch it and reload on change', load: () => import('./start.js') },
  validate: { summary: 'check configuration files; print FILE:LINE:COL per problem', load: () => import('./validate.js') },
  routes: { summary: 'print the compiled route table in match order', load: () => import('./routes.js') },
  explain: { summary: 'show which route a request matches, why, and where it goes', load: () => import('./explain.js') },
  diff: { summary: 'entity-level diff of two configuration files', load: () => import('./diff.js') },
};

export const USAGE = `Usage: sluice <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run 'sluice <command> --help' for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { VERSION } = await import('../server/gateway.js');
    const { runtimeInfo } = await import('../uws/load.js');
    const rt = runtimeInfo();
    // SPEC §2: Sluice, Node, the uWS build and glibc; one `name version` per line.
    process.stdout.write(`sluice ${VERSION}\nnode ${rt.node}\nuws ${rt.uws ?? 'none (no native build loads here)'}\nglibc ${rt.glibc ?? 'none'}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`sluice: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const mod = await command.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(mod.HELP);
    return 0;
  }
  // diff, explain and routes read the configuration too: custom plugins from the environment
  // (SLUICE_PLUGINS_DIR, SLUICE_PLUGINS) load first, so their plugins validate there as well.
  // (start and validate load them themselves, with --plugins-dir.)
  if (name !== 'start' && name !== 'validate' && (process.env.SLUICE_PLUGINS_DIR || process.env.SLUICE_PLUGINS)) {
    const { loadCliPlugins } = await import('./validate.js');
    const problem = await loadCliPlugins(undefined);
    if (problem !== null) {
      process.stderr.write(`${problem.file}:${problem.line}:${problem.column} ${problem.message}\n`);
      return 1;
    }
  }
  return mod.run(rest);
}
