/**
 * BootDbg language server entry point: LSP for boot.ini, .vmx, KD transcripts and LoadOrd listings.
 * Transport as vscode-languageserver reads it from the command line: --stdio, --node-ipc,
 * --socket=<port> or --pipe=<name>.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

const USAGE = `usage: node language-server.js --stdio | --node-ipc | --socket=<port> | --pipe=<name>
(--socket/--pipe: the server connects to a client listening on 127.0.0.1:<port> or the named pipe)
BootDbg language server (boot.ini, .vmx, KD transcripts, LoadOrd listings) speaking LSP.`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
const hasTransport = args.some((a) => ['--stdio', '--node-ipc', '--socket', '--pipe'].includes(a) || a.startsWith('--socket=') || a.startsWith('--pipe='));
if (!hasTransport) {
  process.stderr.write(USAGE + '\n');
  process.exit(2);
}
startServer(createConnection(ProposedFeatures.all));
